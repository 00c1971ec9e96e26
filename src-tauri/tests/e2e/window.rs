//! The real app window under a display: one tauri-driver per test on free ports, a fresh data folder, and the
//! helpers the area tests share (waiting for elements, clicks, filling fields, page navigation, screenshots,
//! the local-model settings).

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// The app binary Cargo built for this test run (never a possibly stale copy in `target/`).
pub fn app_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_compilar"))
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(cmd))
            .find(|p| p.is_file())
    })
}

/// Why the tests cannot run here, if they cannot.
fn missing_prerequisite() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() {
        return Some("DISPLAY is not set (run under xvfb-run)".into());
    }
    for tool in ["tauri-driver", "WebKitWebDriver", "xdotool", "import"] {
        if which(tool).is_none() {
            return Some(format!("{tool} is not on PATH"));
        }
    }
    None
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// The windows share one X display (and the file dialog is driven with X key events), so the area tests take
/// turns: each holds this while its window is open.
static ONE_WINDOW_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// tauri-driver in its own process group, stopped with SIGTERM to the whole group (SIGKILL would leave
/// WebKitWebDriver and the app running).
struct Driver(Child);

impl Driver {
    fn start(data_home: &Path) -> (Driver, u16) {
        Driver::start_with(data_home, false)
    }

    /// With `keyring`, tauri-driver (and so the app) runs on a private D-Bus session with an unlocked GNOME
    /// Keyring: the app's real keychain code stores the sync session there.
    fn start_with(data_home: &Path, keyring: bool) -> (Driver, u16) {
        let port = free_port();
        let native_port = free_port();
        let mut cmd = if keyring {
            let mut c = Command::new("dbus-run-session");
            c.args([
                "--",
                "sh",
                "-c",
                "printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
                 exec tauri-driver --port \"$0\" --native-port \"$1\"",
            ]);
            c.arg(port.to_string()).arg(native_port.to_string());
            c
        } else {
            let mut c = Command::new("tauri-driver");
            c.args(["--port", &port.to_string()])
                .args(["--native-port", &native_port.to_string()]);
            c
        };
        let child = cmd
            .env("XDG_DATA_HOME", data_home)
            .env_remove("COMPILAR_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("start tauri-driver");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tauri-driver did not start listening on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        (Driver(child), port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.0.id() as libc::pid_t;
        // SAFETY: plain syscalls on a child we spawned; the group is signalled only if it is the child's own.
        let (group, ours) = unsafe { (libc::getpgid(pid), libc::getpgrp()) };
        if group == pid && group != ours {
            unsafe { libc::kill(-group, libc::SIGTERM) };
        } else {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// One app window on a new data folder, driven over WebDriver.
pub struct Window {
    pub c: Client,
    port: u16,
    // Dropped in this order: the session's driver (and with it the app), then the data folder, then the turn.
    _driver: Driver,
    _data_home: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Window {
    /// Starts the app on a fresh data folder, or returns None (outside CI only) when this machine cannot run
    /// it; with `CI` set a missing prerequisite fails the test, so CI can never pass without these tests.
    pub async fn open(test: &str) -> Option<Window> {
        Window::open_prepared(test, |_| {}).await
    }

    /// The same, after `prepare` has had the app's data folder (it may not exist yet) to set up.
    pub async fn open_prepared(test: &str, prepare: impl FnOnce(&Path)) -> Option<Window> {
        Window::open_with(test, prepare, false).await
    }

    /// [`Window::open_prepared`] with the app on a private session bus with a real keychain (GNOME Keyring).
    pub async fn open_with_keyring(test: &str, prepare: impl FnOnce(&Path)) -> Option<Window> {
        Window::open_with(test, prepare, true).await
    }

    /// The app started as the system starts it for a link it was asked to open (`compilar://…`).
    pub async fn open_with_args(test: &str, args: &[&str]) -> Option<Window> {
        Window::open_with_all(test, |_| {}, false, args).await
    }

    async fn open_with(test: &str, prepare: impl FnOnce(&Path), keyring: bool) -> Option<Window> {
        Window::open_with_all(test, prepare, keyring, &[]).await
    }

    async fn open_with_all(
        test: &str,
        prepare: impl FnOnce(&Path),
        keyring: bool,
        args: &[&str],
    ) -> Option<Window> {
        if let Some(why) = missing_prerequisite() {
            if std::env::var_os("CI").is_some() {
                panic!("the end-to-end test {test} must run in CI, but {why}");
            }
            eprintln!("SKIPPED end-to-end test {test}: {why}");
            return None;
        }
        let turn = ONE_WINDOW_AT_A_TIME.lock().await;
        let data_home = tempfile::tempdir().unwrap();
        prepare(&data_home.path().join(compilar_core::DATA_FOLDER_NAME));
        let (driver, port) = Driver::start_with(data_home.path(), keyring);
        let c = session(port, args).await;
        Some(Window {
            c,
            port,
            _driver: driver,
            _data_home: data_home,
            _turn: turn,
        })
    }

    /// Quits the app and starts it again on the same data folder (what a user sees after a restart).
    pub async fn restart(self) -> Window {
        let Window {
            c,
            port: _,
            _driver,
            _data_home,
            _turn,
        } = self;
        c.close().await.unwrap();
        drop(_driver);
        let (driver, port) = Driver::start(_data_home.path());
        Window {
            c: session(port, &[]).await,
            port,
            _driver: driver,
            _data_home,
            _turn,
        }
    }

    /// Quits the app and starts it again through the same driver (its session bus and keyring, when it has
    /// them, stay up, as the system's do when an app restarts).
    pub async fn restart_app(self) -> Window {
        let Window {
            c,
            port,
            _driver,
            _data_home,
            _turn,
        } = self;
        c.close().await.unwrap();
        Window {
            c: session(port, &[]).await,
            port,
            _driver,
            _data_home,
            _turn,
        }
    }

    pub async fn close(self) {
        self.c.clone().close().await.unwrap();
    }

    /// The element matching `sel`, waiting up to 15 s for it.
    pub async fn css(&self, sel: &str) -> Element {
        self.c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(sel))
            .await
            .unwrap_or_else(|e| panic!("waiting for {sel}: {e}"))
    }

    /// Every element matching `sel` now (none is not an error).
    pub async fn all(&self, sel: &str) -> Vec<Element> {
        self.c.find_all(Locator::Css(sel)).await.unwrap_or_default()
    }

    pub async fn count(&self, sel: &str) -> usize {
        self.all(sel).await.len()
    }

    pub async fn click(&self, sel: &str) {
        self.css(sel)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {sel}: {e}"));
    }

    /// Replaces what a text field holds.
    pub async fn fill(&self, sel: &str, text: &str) {
        let el = self.css(sel).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    pub async fn text(&self, sel: &str) -> String {
        self.css(sel).await.text().await.unwrap()
    }

    pub async fn attr(&self, sel: &str, name: &str) -> Option<String> {
        self.css(sel).await.attr(name).await.unwrap()
    }

    /// Opens a page from the navigation bar (`home`, `history`, `settings`, …).
    pub async fn nav(&self, page: &str) {
        self.click(&format!("[data-testid=nav-{page}]")).await;
    }

    pub async fn scroll_to(&self, sel: &str) {
        self.c
            .execute(
                &format!("document.querySelector('{sel}').scrollIntoView()"),
                vec![],
            )
            .await
            .unwrap();
    }

    /// Waits until the text of `sel` satisfies `ok`, returning it.
    pub async fn until_text(&self, sel: &str, ok: impl Fn(&str) -> bool) -> String {
        until(&format!("the text of {sel}"), || async {
            let t = self
                .c
                .find(Locator::Css(sel))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            ok(&t).then_some(t)
        })
        .await
    }

    /// Waits until attribute `name` of `sel` is `want`.
    pub async fn until_attr(&self, sel: &str, name: &str, want: &str) {
        until(&format!("{sel} [{name}={want}]"), || async {
            let el = self.c.find(Locator::Css(sel)).await.ok()?;
            (el.attr(name).await.ok()?? == want).then_some(())
        })
        .await
    }

    /// Waits until exactly `n` elements match `sel`.
    pub async fn until_count(&self, sel: &str, n: usize) {
        until(&format!("{n} × {sel}"), || async {
            (self.count(sel).await == n).then_some(())
        })
        .await
    }

    /// Settings → turn on the local model (Ollama / LM Studio) at `url` and save.
    pub async fn use_local_model(&self, url: &str) {
        self.nav("settings").await;
        self.click("[data-testid=provider-enabled-local]").await;
        self.fill("[data-testid=base-url-local]", url).await;
        self.click("[data-testid=save-providers]").await;
        self.css("[data-testid=saved-note]").await;
    }
}

/// A WebDriver session that starts the app binary.
async fn session(port: u16, args: &[&str]) -> Client {
    let caps = serde_json::json!({
        "browserName": "wry",
        "tauri:options": { "application": app_path(), "args": args }
    });
    let caps: serde_json::Map<String, serde_json::Value> = caps.as_object().unwrap().clone();
    // tauri-driver drops a request while the native WebKitWebDriver it starts is not listening yet (seen when
    // it is started through dbus-run-session, where the keyring starts first; on a slow machine three tries
    // 0.7 s apart were not enough, and on a 2-core machine busy compiling eight a second apart were not either):
    // up to thirty tries, a second apart.
    for attempt in 1.. {
        let r = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone().into_iter().collect())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match r {
            Ok(c) => return c,
            Err(e) if attempt < 30 => {
                eprintln!("WebDriver session, attempt {attempt}: {e}; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => panic!("WebDriver session: {e:?}"),
        }
    }
    unreachable!()
}

/// Polls `f` until it returns Some, for at most 10 s.
pub async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves what the app window shows. Taken from the X server (ImageMagick's `import`), not through WebDriver:
/// the app runs with WebKitGTK's DMA-BUF renderer off, as users get it, and in that mode WebKitWebDriver's
/// screenshot command never returns.
pub async fn screenshot(name: &str) {
    // The pointer out of the page, so no tooltip left from the last click covers it.
    xdotool(&["mousemove", "0", "0"]);
    // Let the page paint first (the DOM can be ahead of the last frame).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let ids = xdotool(&["search", "--onlyvisible", "--name", "^Compilar$"]);
    let id = ids.lines().next().expect("the app window is visible");
    let file = screenshot_dir().join(format!("{name}.png"));
    x_tool("import", &["-window", id, &file.display().to_string()]);
}

pub fn xdotool(args: &[&str]) -> String {
    x_tool("xdotool", args)
}

/// Runs an X client tool (at most 20 s) and returns what it printed; fails the test if it fails. A window
/// that closes while the tool walks the window tree (the previous test's app going away) makes it fail with
/// BadWindow: that is tried again.
fn x_tool(tool: &str, args: &[&str]) -> String {
    let run = || {
        Command::new("timeout")
            .arg("20")
            .arg(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {tool}: {e}"))
    };
    let mut out = run();
    for _ in 0..3 {
        if out.status.success() || !String::from_utf8_lossy(&out.stderr).contains("BadWindow") {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        out = run();
    }
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Chooses `file` in the open GTK file chooser titled `title`: open the location bar (a save dialog: select
/// the name field), type the path, press Return until the dialog has gone.
pub fn pick_in_file_dialog(title: &str, file: &Path) {
    let pattern = format!("^{title}$");
    let ids = xdotool(&["search", "--sync", "--onlyvisible", "--name", &pattern]);
    let id = ids
        .lines()
        .next()
        .expect("the file dialog window")
        .to_owned();
    xdotool(&["windowfocus", "--sync", &id]);
    xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
    xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
    xdotool(&["type", "--delay", "2", &file.display().to_string()]);
    // GTK may still be completing the typed path when the first Return arrives: press it until the dialog
    // has gone.
    let visible = || {
        Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", &pattern])
            .output()
            .is_ok_and(|o| !o.stdout.is_empty())
    };
    let start = Instant::now();
    while visible() {
        if start.elapsed() > Duration::from_secs(10) {
            let shot = screenshot_dir().join("file-dialog.png");
            let _ = Command::new("import")
                .args(["-window", "root"])
                .arg(&shot)
                .status();
            panic!("the file dialog did not close (screen: {})", shot.display());
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("xdotool")
            .args(["key", "--window", &id, "Return"])
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
}

//! `account`: sign in to a sync project, sign out, who is signed in.

use crate::*;

pub(crate) async fn account(app: &App, out: Out, cmd: AccountCmd) -> Outcome {
    let acct = app.account();
    match cmd {
        AccountCmd::Signin {
            project,
            key,
            email,
            adopt_local,
        } => {
            let password = read_password()?;
            let req = |adopt: bool| SignInRequest {
                project_url: project.clone(),
                public_key: key.clone(),
                email: email.clone(),
                password: password.clone(),
                adopt_local: adopt,
            };
            let st = match acct.sign_in(req(adopt_local)).await {
                Err(e @ Error::LocalDataNeedsConsent { .. }) if !out.json => {
                    if !confirm(&format!("{e}\nAdd them to {email}?")) {
                        return Err(e.into());
                    }
                    acct.sign_in(req(true)).await?
                }
                r => r?,
            };
            out.emit(&st, print::account)
        }
        AccountCmd::Signout => out.emit(&acct.sign_out().await?, print::account),
        AccountCmd::Status => out.emit(&acct.status().await?, print::account),
        AccountCmd::Invalidate => out.emit(&acct.invalidate().await?, print::account),
    }
}

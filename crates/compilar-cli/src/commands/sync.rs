//! `sync`: where sync stands, sync now, the changes the server refused.

use crate::*;

pub(crate) async fn sync(app: &App, out: Out, args: SyncArgs) -> Outcome {
    let s = app.sync();
    match args.cmd {
        Some(SyncCmd::Rejected) => out.emit(&s.rejected().await?, |l| print::rejected(l)),
        Some(SyncCmd::Retry { table, id }) => out.emit(
            &s.retry_rejected(RejectedRequest { table, row_id: id })
                .await?,
            print::sync_status,
        ),
        Some(SyncCmd::RetryAll) => out.emit(&s.retry_all_rejected().await?, print::sync_status),
        Some(SyncCmd::Discard { table, id }) => out.emit(
            &s.discard_rejected(RejectedRequest { table, row_id: id })
                .await?,
            print::sync_status,
        ),
        None if args.now => {
            let bar = print::progress_bar(out.json, "Syncing");
            let report = s
                .sync_with({
                    let bar = bar.clone();
                    move |p| print::sync_progress(&bar, &p)
                })
                .await;
            bar.finish_and_clear();
            out.emit(&report?, print::sync_report)
        }
        None => out.emit(&s.status().await?, print::sync_status),
    }
}

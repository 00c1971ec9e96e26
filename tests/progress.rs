//! Progress over time, comparisons and development goals, on a real database in a temp dir.

use crate::common;

use compilar_core::api::{
    AboutRequest, CheckInRequest, CloseGoalRequest, CompareRequest, Direction, GoalListRequest,
    GoalStatus, MilestoneKind, NewGoalRequest, PracticeSource, ProgressRequest,
};
use compilar_core::App;

async fn about(app: &App, id: &str, group: &str) {
    app.assessments()
        .set_about(AboutRequest {
            assessment_id: id.into(),
            group_label: Some(group.into()),
            note: None,
        })
        .await
        .unwrap();
}

fn in_days(n: i64) -> String {
    (chrono::Local::now().date_naive() + chrono::Duration::days(n))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn two_assessments_of_a_pillar_for_a_group_show_the_change_and_compare_force_by_force() {
    let t = common::open().await;
    let app = &t.app;
    // Goal clarity 2 → 4 (25 → 75), future confidence 3 → 3, shared vision 4 → 3, incentive alignment 3 → 3.
    let first = common::completed(
        app,
        "grpprosp",
        "egalitarian",
        &[("goal_clarity", 2), ("shared_vision", 4)],
    )
    .await;
    about(app, &first.id, "Product team").await;
    let second = common::completed(
        app,
        "grpprosp",
        "egalitarian",
        &[("goal_clarity", 4), ("shared_vision", 3)],
    )
    .await;
    about(app, &second.id, "Product team").await;
    // Another group and another pillar, and one left in the quiz.
    let other = common::completed(app, "grpprosp", "egalitarian", &[]).await;
    about(app, &other.id, "Board").await;
    common::completed(app, "ownprosp", "hierarchical", &[]).await;
    common::create(app, "indrecip", "egalitarian").await;

    let p = app
        .progress()
        .view(ProgressRequest {
            group: Some("Product team".into()),
            mode: None,
            ..ProgressRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(p.totals.completed, 2);
    assert_eq!(p.totals.in_progress, 0);
    assert_eq!(p.tracks.len(), 1);
    let track = &p.tracks[0];
    assert_eq!(track.points.len(), 2);
    assert_eq!(track.points[0].assessment_id, first.id);
    // (25 + 50 + 75 + 50) / 4 = 50 → (75 + 50 + 50 + 50) / 4 = 56.3 (scores are kept to one decimal).
    assert_eq!(track.points[0].pillar_score, 50.0);
    assert_eq!(track.latest, 56.3);
    // Shown as 50 → 56: a change of 6 (the difference of the values shown, not 6.3).
    assert_eq!(track.change, Some(6.0));
    let gc = track
        .forces
        .iter()
        .find(|f| f.force == "goal_clarity")
        .unwrap();
    assert_eq!(
        (gc.previous, gc.latest, gc.change),
        (Some(25.0), Some(75.0), Some(50.0))
    );
    assert_eq!(
        p.groups,
        vec!["Board".to_string(), "Product team".to_string()]
    );
    // Not assessed yet, in this group: the other four egalitarian pillars and all five hierarchical ones.
    assert_eq!(p.not_assessed[0].pillars.len(), 4);
    assert_eq!(p.not_assessed[1].pillars.len(), 5);
    // A rise of 50 points is a milestone; so is the first assessment.
    assert!(p.milestones.iter().any(|m| m.kind == MilestoneKind::ForceUp
        && m.title == "Goal clarity up 50 points in Group Prospects for Product team"));
    assert!(p
        .milestones
        .iter()
        .any(|m| m.kind == MilestoneKind::FirstAssessment));

    let everything = app
        .progress()
        .view(ProgressRequest::default())
        .await
        .unwrap();
    assert_eq!(everything.totals.completed, 4);
    assert_eq!(everything.totals.in_progress, 1);
    assert_eq!(everything.totals.pillars_covered, 2);
    assert_eq!(everything.tracks.len(), 3);
    // The analytics, in UTC: three egalitarian and one hierarchical, all completed today.
    let utc = app
        .progress()
        .view(ProgressRequest {
            utc_offset_minutes: Some(0),
            ..ProgressRequest::default()
        })
        .await
        .unwrap();
    let a = &utc.analytics;
    let modes: Vec<(u32, f64)> = a.modes.iter().map(|m| (m.completed, m.percent)).collect();
    assert_eq!(modes, [(3, 75.0), (1, 25.0)]);
    assert_eq!(a.pillars.len(), 2);
    assert_eq!(a.pillars[0].completed, 3);
    assert_eq!(a.days.len(), 30);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        (a.days[29].date.as_str(), a.days[29].completed),
        (today.as_str(), 4)
    );
    assert_eq!(a.last_30.completed, 4);
    // A time zone beyond ±14 hours is refused.
    let err = app
        .progress()
        .view(ProgressRequest {
            utc_offset_minutes: Some(900),
            ..ProgressRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "out_of_range");

    // Compare, given in either order: the older comes first.
    let c = app
        .progress()
        .compare(CompareRequest {
            first: second.id.clone(),
            second: first.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(c.before.assessment_id, first.id);
    assert_eq!(c.change, 6.0);
    assert_eq!(c.improved, vec!["Goal clarity".to_string()]);
    assert_eq!(c.slipped, vec!["Shared vision".to_string()]);
    let fc = c
        .forces
        .iter()
        .find(|f| f.force == "future_confidence")
        .unwrap();
    assert_eq!(fc.direction, Direction::Steady);

    // Another pillar, the same one twice, one still in the quiz: refused with a reason.
    let hier = app.assessments().list(Default::default()).await.unwrap();
    let own = hier.items.iter().find(|a| a.pillar == "ownprosp").unwrap();
    for (a, b) in [(&first.id, &own.id), (&first.id, &first.id)] {
        let e = app
            .progress()
            .compare(CompareRequest {
                first: a.clone(),
                second: b.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), "not_comparable", "{e}");
    }
    let quiz = hier.items.iter().find(|a| a.pillar == "indrecip").unwrap();
    let e = app
        .progress()
        .compare(CompareRequest {
            first: first.id.clone(),
            second: quiz.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_comparable");
}

#[tokio::test]
async fn a_goal_from_a_result_takes_check_ins_and_the_next_assessment_shows_its_force_before_and_after(
) {
    let t = common::open().await;
    let app = &t.app;
    let first =
        common::completed(app, "grpprosp", "egalitarian", &[("future_confidence", 2)]).await;
    about(app, &first.id, "Team").await;
    let rec = first
        .results
        .as_ref()
        .unwrap()
        .recommendations
        .iter()
        .find(|r| r.force == "future_confidence")
        .unwrap()
        .clone();
    let goal = app
        .goals()
        .add(NewGoalRequest {
            assessment_id: first.id.clone(),
            force: "future_confidence".into(),
            title: "  Talk about where we are going every week  ".into(),
            practice: None,
            practice_source: None,
            practice_ref: None,
            review_on: Some(in_days(0)),
        })
        .await
        .unwrap();
    assert_eq!(goal.title, "Talk about where we are going every week");
    assert_eq!(goal.baseline, Some(25.0));
    // No practice given: the result's recommendation for the force.
    assert_eq!(goal.practice, rec.text);
    assert_eq!(goal.practice_source, PracticeSource::Recommendation);
    assert_eq!(goal.group_label.as_deref(), Some("Team"));
    // Its review date is today: due.
    assert!(goal.due);
    assert!(goal.outcome.is_none());

    let g = app
        .goals()
        .check_in(CheckInRequest {
            goal_id: goal.id.clone(),
            rating: 4,
            note: Some("Good start".into()),
        })
        .await
        .unwrap();
    assert_eq!(g.checkins.len(), 1);
    assert_eq!(g.checkins[0].rating, 4);
    for bad in [0u8, 6] {
        let e = app
            .goals()
            .check_in(CheckInRequest {
                goal_id: goal.id.clone(),
                rating: bad,
                note: None,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), "value_out_of_range");
    }

    // The next assessment of the pillar, for the same group: the goal's force before and after.
    let next = common::completed(app, "grpprosp", "egalitarian", &[("future_confidence", 4)]).await;
    about(app, &next.id, "Team").await;
    let on_result = app.goals().for_result(&next.id).await.unwrap();
    assert!(on_result.set_here.is_empty());
    assert_eq!(on_result.followed.len(), 1);
    let o = on_result.followed[0].outcome.as_ref().unwrap();
    assert_eq!(
        (o.before, o.after, o.change),
        (Some(25.0), Some(75.0), Some(50.0))
    );
    let again = app.goals().get(&goal.id).await.unwrap();
    assert_eq!(again.outcome.as_ref().unwrap().assessment_id, next.id);
    assert_eq!(
        app.goals()
            .for_result(&first.id)
            .await
            .unwrap()
            .set_here
            .len(),
        1
    );

    // Dropping needs a reason; done needs none, and closes it to check-ins; it is then a milestone.
    let e = app
        .goals()
        .close(CloseGoalRequest {
            goal_id: goal.id.clone(),
            status: GoalStatus::Dropped,
            reason: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "empty_input");
    let done = app
        .goals()
        .close(CloseGoalRequest {
            goal_id: goal.id.clone(),
            status: GoalStatus::Done,
            reason: None,
        })
        .await
        .unwrap();
    assert_eq!(done.status, GoalStatus::Done);
    assert!(!done.due);
    let e = app
        .goals()
        .check_in(CheckInRequest {
            goal_id: goal.id.clone(),
            rating: 3,
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "goal_closed");
    let p = app
        .progress()
        .view(ProgressRequest::default())
        .await
        .unwrap();
    assert!(p
        .milestones
        .iter()
        .any(|m| m.kind == MilestoneKind::GoalCompleted
            && m.goal_id.as_deref() == Some(goal.id.as_str())));
    let active = app
        .goals()
        .list(GoalListRequest {
            status: Some(GoalStatus::Active),
            pillar: None,
        })
        .await
        .unwrap();
    assert!(active.is_empty());
    app.goals().reopen(&goal.id).await.unwrap();

    // Delete and undo.
    app.goals().delete(&goal.id).await.unwrap();
    assert!(app
        .goals()
        .list(GoalListRequest::default())
        .await
        .unwrap()
        .is_empty());
    app.goals().restore(&goal.id).await.unwrap();
    assert_eq!(
        app.goals()
            .list(GoalListRequest::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_goal_is_refused_clearly_and_nothing_is_stored() {
    let t = common::open().await;
    let app = &t.app;
    let done = common::completed(app, "grpprosp", "egalitarian", &[]).await;
    let quiz = common::create(app, "grpprosp", "egalitarian").await;
    let req = |id: &str, force: &str, title: &str, review: String| NewGoalRequest {
        assessment_id: id.into(),
        force: force.into(),
        title: title.into(),
        practice: Some("Practice".into()),
        practice_source: Some(PracticeSource::Own),
        practice_ref: None,
        review_on: Some(review),
    };
    let cases = [
        (
            req(&quiz.id, "goal_clarity", "x", in_days(7)),
            "assessment_not_completed",
        ),
        (req(&done.id, "belonging", "x", in_days(7)), "unknown_force"),
        (
            req(&done.id, "goal_clarity", "   ", in_days(7)),
            "empty_input",
        ),
        (
            req(&done.id, "goal_clarity", &"x".repeat(201), in_days(7)),
            "payload_too_large",
        ),
        (
            req(&done.id, "goal_clarity", "x", in_days(-1)),
            "out_of_range",
        ),
        (
            req(&done.id, "goal_clarity", "x", in_days(400)),
            "out_of_range",
        ),
        (
            req(&done.id, "goal_clarity", "x", "next week".into()),
            "invalid_argument",
        ),
    ];
    for (r, code) in cases {
        let e = app.goals().add(r).await.unwrap_err();
        assert_eq!(e.code(), code, "{e}");
    }
    let mut passage = req(&done.id, "goal_clarity", "x", in_days(7));
    passage.practice_source = Some(PracticeSource::Passage);
    assert_eq!(
        app.goals().add(passage).await.unwrap_err().code(),
        "invalid_argument"
    );
    assert!(app
        .goals()
        .list(GoalListRequest::default())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        app.goals()
            .get(&uuid::Uuid::now_v7().to_string())
            .await
            .unwrap_err()
            .code(),
        "goal_not_found"
    );
}

//! Server-rendered HTML pages. Every value from a ProwJob, a PR or a log is escaped; pages
//! load only `/static/deck.css` and `/static/deck.js` (no inline script or style).

pub mod job_list;
pub mod job_view;
pub mod layout;

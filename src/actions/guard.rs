//! The leak guard's answers, the same for a local and a team vault: whether it is on, and
//! which key a text pasted into a page is (by keyed hash, through [`Store::key_with_secret`]),
//! with a warning on record when that page is not one of the key's integrations.

use super::fill::Answered;
use super::{ActionError, Store};
use crate::browser::guard::{self, Found, Pasted};
use crate::browser::messaging::{ErrorCode, Reply};
use crate::browser::origin::Origin;

/// The answer to "is the leak guard on?".
pub fn status(store: &(impl Store + ?Sized), id: u64) -> Answered {
    Answered { reply: Reply::Guard { id, on: store.leak_guard() }, said: None, proposed: None }
}

/// Checks `text`, pasted into a field of `page` in `browser`: refused unmatched while the
/// guard is off; else the key it is, if any, and when `page` is not one of that key's
/// integrations a warning, recorded as a `paste-warning` line (key, page, browser). The
/// warning is answered even when its line cannot be written; the window then says why.
pub fn check_paste(
    store: &mut (impl Store + ?Sized),
    id: u64,
    page: &Origin,
    text: &Pasted,
    browser: &str,
) -> Answered {
    let answered = |reply| Answered { reply, said: None, proposed: None };
    if !store.leak_guard() {
        return answered(Reply::error(Some(id), ErrorCode::Refused, guard::GUARD_OFF));
    }
    let record = match store.key_with_secret(text.word()) {
        Ok(Some(record)) => record,
        Ok(None) => return answered(Reply::CheckPaste { id, found: None, warning: None }),
        Err(error) => return answered(Reply::error(Some(id), ErrorCode::Failed, error.to_string())),
    };
    let integration = record.integrations.iter().any(|integration| {
        integration.url.as_deref().is_some_and(|url| Origin::of_address(url).is_ok_and(|o| o == *page))
    });
    let found =
        Found { label: record.label.clone(), provider: record.provider.name().to_owned(), integration };
    let warning = found.warning(page.host());
    let said = warning.is_some().then(|| {
        let detail = guard::audit_detail(&page.to_string(), browser);
        match store.record_paste_warning(&record.id, detail) {
            Ok(()) => Ok(format!(
                "\"{}\" was pasted into {page} in {browser}, which is not one of its integrations.",
                record.label
            )),
            Err(error) => {
                Err(ActionError::WarningNotRecorded { label: record.label.clone(), cause: Box::new(error) })
            }
        }
    });
    Answered { reply: Reply::CheckPaste { id, found: Some(found), warning }, said, proposed: None }
}

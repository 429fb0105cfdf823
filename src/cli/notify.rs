//! A desktop notification through the freedesktop Notifications service on the session bus
//! (`org.freedesktop.Notifications.Notify`): how `keydesk due --notify`, run daily by the
//! `keydesk-due` user timer, tells the user what is due.

/// How long the notification stays, in ms (the server may choose otherwise).
const SHOW_MS: i32 = 30_000;

/// Posts `summary` and `body`; `Err` says in one sentence why it could not be posted.
#[cfg(target_os = "linux")]
pub fn post(summary: &str, body: &str) -> Result<(), String> {
    use std::collections::HashMap;

    use zbus::zvariant::Value;

    let connection = zbus::blocking::Connection::session().map_err(|_no_bus| {
        "Could not post the desktop notification: there is no session bus (run it inside a desktop session).".to_owned()
    })?;
    let hints: HashMap<&str, Value<'_>> = HashMap::from([("urgency", Value::U8(1))]);
    let actions: Vec<&str> = Vec::new();
    connection
        .call_method(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            Some("org.freedesktop.Notifications"),
            "Notify",
            &("Keydesk", 0u32, "keydesk", summary, body, actions, hints, SHOW_MS),
        )
        .map(drop)
        .map_err(|_refused| {
            "Could not post the desktop notification: no notification service answered on the session bus."
                .to_owned()
        })
}

#[cfg(not(target_os = "linux"))]
pub fn post(_summary: &str, _body: &str) -> Result<(), String> {
    Err("Desktop notifications are posted on Linux only.".to_owned())
}

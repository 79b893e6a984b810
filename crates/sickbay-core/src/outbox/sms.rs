//! SMS through Africa's Talking's bulk SMS API: one POST of a form per message, and its answer read per
//! recipient. Also the two things every SMS needs before it is sent: the number in E.164 and the text cut to
//! the parts the clinic is willing to pay for.

use std::time::Duration;

use super::model::DeliveryError;

/// Africa's Talking's live bulk SMS endpoint.
pub const LIVE_ENDPOINT: &str = "https://api.africastalking.com/version1/messaging";
/// Africa's Talking's sandbox (username `sandbox`): messages reach only its simulator.
pub const SANDBOX_ENDPOINT: &str = "https://api.sandbox.africastalking.com/version1/messaging";

/// How long one request may take, connecting included, before it counts as a temporary failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a provider's error body goes into a message.
const MAX_QUOTED: usize = 200;

/// Where and as whom the clinic sends SMS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsProvider {
    /// The messaging URL: [`LIVE_ENDPOINT`], [`SANDBOX_ENDPOINT`] or a test double.
    pub endpoint: String,
    /// The Africa's Talking application's username (`sandbox` for the sandbox).
    pub username: String,
    pub api_key: String,
    /// A registered sender id or short code; empty for the account's default.
    pub sender_id: String,
}

impl SmsProvider {
    /// Whether there is enough to send at all: a username and an API key.
    pub fn is_configured(&self) -> bool {
        !self.username.trim().is_empty() && !self.api_key.trim().is_empty()
    }
}

/// Sends `text` to one E.164 number; the provider's own words on failure (e.g. "InvalidPhoneNumber (403)").
pub async fn send(
    http: &reqwest::Client,
    provider: &SmsProvider,
    to: &str,
    text: &str,
) -> Result<String, DeliveryError> {
    if !provider.is_configured() {
        return Err(DeliveryError::Permanent(
            "SMS is not set up: the Africa's Talking username and API key are required".to_owned(),
        ));
    }
    let mut form = vec![("username", provider.username.trim()), ("to", to), ("message", text)];
    let sender_id = provider.sender_id.trim();
    if !sender_id.is_empty() {
        form.push(("from", sender_id));
    }
    let response = http
        .post(provider.endpoint.trim())
        .timeout(REQUEST_TIMEOUT)
        .header("apiKey", provider.api_key.trim())
        .header(reqwest::header::ACCEPT, "application/json")
        // `form` sets Content-Type: application/x-www-form-urlencoded.
        .form(&form)
        .send()
        .await
        .map_err(request_error)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(request_error)?;
    read_response(status, &body)
}

/// A failed request: a bad endpoint fails the same way every time; anything on the way (connecting, a
/// timeout, a connection cut mid-answer) may work next time.
fn request_error(error: reqwest::Error) -> DeliveryError {
    if error.is_builder() {
        return DeliveryError::Permanent(format!("the SMS endpoint is not a valid URL: {error}"));
    }
    let what = if error.is_timeout() {
        "Africa's Talking did not answer in time"
    } else if error.is_connect() {
        "could not connect to Africa's Talking"
    } else {
        "the request to Africa's Talking failed"
    };
    DeliveryError::Temporary(format!("{what}: {error}"))
}

/// Reads Africa's Talking's answer to one message: the message id, or why it was not sent and whether that
/// is worth another try.
pub fn read_response(status: u16, body: &str) -> Result<String, DeliveryError> {
    let quoted = quote(body);
    match status {
        200..=299 => {}
        401 => {
            return Err(DeliveryError::Permanent(format!(
                "Africa's Talking refused the username or API key (HTTP 401): {quoted}"
            )));
        }
        408 | 429 | 500..=599 => {
            return Err(DeliveryError::Temporary(format!(
                "Africa's Talking answered HTTP {status}: {quoted}"
            )));
        }
        _ => {
            return Err(DeliveryError::Permanent(format!(
                "Africa's Talking answered HTTP {status}: {quoted}"
            )));
        }
    }
    let json: serde_json::Value = serde_json::from_str(body).map_err(|_| {
        DeliveryError::Temporary(format!(
            "Africa's Talking's answer (HTTP {status}) is not the expected JSON: {quoted}"
        ))
    })?;
    let data = &json["SMSMessageData"];
    let Some(recipient) = data["Recipients"].as_array().and_then(|all| all.first()) else {
        // With no recipient, Message carries the reason for the whole request ("InvalidSenderId", ...).
        let reason = data["Message"].as_str().unwrap_or_default().trim();
        return Err(DeliveryError::Permanent(if reason.is_empty() {
            format!("Africa's Talking sent to no one: {quoted}")
        } else {
            format!("Africa's Talking sent to no one: {reason}")
        }));
    };
    let code = match &recipient["statusCode"] {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let name = recipient["status"]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| code.map_or("no status", status_name));
    match code {
        Some(100..=102) => Ok(recipient["messageId"].as_str().unwrap_or_default().trim().to_owned()),
        Some(code @ 500..=599) => Err(DeliveryError::Temporary(format!("{name} ({code})"))),
        Some(code) => Err(DeliveryError::Permanent(format!("{name} ({code})"))),
        None => Err(DeliveryError::Permanent(format!(
            "Africa's Talking gave no status code for the recipient: {quoted}"
        ))),
    }
}

/// The documented name of a per-recipient status code, for an answer that leaves out `status`.
fn status_name(code: u64) -> &'static str {
    match code {
        100 => "Processed",
        101 => "Sent",
        102 => "Queued",
        401 => "RiskHold",
        402 => "InvalidSenderId",
        403 => "InvalidPhoneNumber",
        404 => "UnsupportedNumberType",
        405 => "InsufficientBalance",
        406 => "UserInBlacklist",
        407 => "CouldNotRoute",
        409 => "DoNotDisturbRejection",
        500 => "InternalServerError",
        501 => "GatewayError",
        502 => "RejectedByGateway",
        _ => "Unknown status",
    }
}

/// A body for an error message: one line, at most [`MAX_QUOTED`] characters.
fn quote(body: &str) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return "(empty answer)".to_owned();
    }
    match line.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// A phone number as typed (spaces, dashes, brackets, a leading 0 trunk prefix, +, 00) in E.164, with
/// `country_code` (digits only, like "234") for national numbers; None when it can't be a phone number
/// (E.164: + then 8 to 15 digits total).
///
/// Digits with no prefix at all are national, unless they already start with the country code
/// ("2348031234567" stays as it is). An international number's "(0)", as in "+44 (0)20 7946 0958", is dropped.
pub fn to_e164(text: &str, country_code: &str) -> Option<String> {
    let text = text.trim();
    let (international, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest.replacen("(0)", "", 1)),
        None => (false, text.to_owned()),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | '.' | '/' | '(' | ')' | '[' | ']' => {}
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    let country_code = country_code.trim().trim_start_matches('+');
    let national_with = |national: &str| -> Option<String> {
        if country_code.is_empty() || !country_code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(format!("{country_code}{national}"))
    };
    let full = if international {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(national) = digits.strip_prefix('0') {
        national_with(national)?
    } else if !country_code.is_empty() && digits.starts_with(country_code) {
        digits
    } else {
        national_with(&digits)?
    };
    let plausible = (8..=15).contains(&full.len()) && !full.starts_with('0');
    plausible.then(|| format!("+{full}"))
}

/// One SMS alone holds 160 GSM-7 septets; each part of a longer one 153 (the rest is the part header).
const GSM_SINGLE: usize = 160;
const GSM_PART: usize = 153;
/// In UCS-2: 70 UTF-16 units alone, 67 per part.
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// The GSM 03.38 default alphabet (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Its extension table: an escape septet and the character, so two septets each.
const GSM_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// How many GSM-7 septets `c` takes, or None when it is not GSM-7.
fn septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

fn is_gsm(text: &str) -> bool {
    text.chars().all(|c| septets(c).is_some())
}

/// How many parts the units of `sizes` fill: all in one when they fit `single`, else parts of `per_part`
/// each, a character never split between two parts (an escaped GSM character, a UTF-16 surrogate pair).
fn count_parts(sizes: impl Iterator<Item = usize> + Clone, single: usize, per_part: usize) -> usize {
    let total: usize = sizes.clone().sum();
    if total == 0 {
        return 0;
    }
    if total <= single {
        return 1;
    }
    let (mut parts, mut used) = (1, 0);
    for size in sizes {
        if used + size > per_part {
            parts += 1;
            used = 0;
        }
        used += size;
    }
    parts
}

/// How many SMS parts `text` is sent as (0 for no text): GSM-7 when every character is in it, else UCS-2.
pub fn parts(text: &str) -> usize {
    if is_gsm(text) {
        count_parts(text.chars().map(|c| septets(c).unwrap_or(1)), GSM_SINGLE, GSM_PART)
    } else {
        count_parts(text.chars().map(char::len_utf16), UCS2_SINGLE, UCS2_PART)
    }
}

/// `text` cut to at most `max_parts` SMS parts (GSM-7: 160 chars single / 153 per part when split, the GSM
/// extension chars ^{}\[~]|€ count two; any char outside GSM-7 makes it UCS-2: 70 single / 67 per part,
/// counting UTF-16 units), ending with "…" when cut (… is not GSM-7; when the text is GSM-7 end with "..."
/// instead so it stays GSM-7).
///
/// A UCS-2 text whose first characters are GSM-7 may keep more of itself as GSM-7 ending in "...": of the two
/// cuts, the longer wins.
pub fn fit(text: &str, max_parts: usize) -> String {
    if parts(text) <= max_parts {
        return text.to_owned();
    }
    if max_parts == 0 {
        return String::new();
    }
    // Byte offsets where a cut may go: `cuts[k]` keeps the first k characters. Keeping them all is no cut.
    let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let with = |cut: usize, marker: &str| format!("{}{marker}", text[..cut].trim_end());
    // The longest cut for which `fits` holds; it holds for the empty cut and, once false, stays false.
    let longest = |fits: &dyn Fn(usize) -> bool| -> usize {
        let (mut lo, mut hi) = (0, cuts.len() - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(cuts[mid]) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        cuts[lo]
    };
    let gsm = longest(&|cut| is_gsm(&text[..cut]) && parts(&with(cut, "...")) <= max_parts);
    let ucs2 = longest(&|cut| parts(&with(cut, "…")) <= max_parts);
    if ucs2 > gsm {
        with(ucs2, "…")
    } else {
        with(gsm, "...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_take_the_country_code() {
        assert_eq!(to_e164("0803 123 4567", "234").as_deref(), Some("+2348031234567"));
        assert_eq!(to_e164("0803-123-4567", "234").as_deref(), Some("+2348031234567"));
        assert_eq!(to_e164("(0803) 123 4567", "+234").as_deref(), Some("+2348031234567"));
        assert_eq!(to_e164("8031234567", "234").as_deref(), Some("+2348031234567"));
        assert_eq!(to_e164("0803 123 4567", ""), None, "no country to add");
        assert_eq!(to_e164("0803 123 4567", "2x4"), None);
    }

    #[test]
    fn international_numbers_keep_theirs() {
        assert_eq!(to_e164("+44 20 7946 0958", "234").as_deref(), Some("+442079460958"));
        assert_eq!(to_e164("+44 (0)20 7946 0958", "234").as_deref(), Some("+442079460958"));
        assert_eq!(to_e164("00234 803 123 4567", "254").as_deref(), Some("+2348031234567"));
        assert_eq!(to_e164(" 2348031234567 ", "234").as_deref(), Some("+2348031234567"));
        assert_eq!(to_e164("+254-712-345-678", "234").as_deref(), Some("+254712345678"));
    }

    #[test]
    fn what_cannot_be_a_number_is_none() {
        assert_eq!(to_e164("call me", "234"), None);
        assert_eq!(to_e164("0803 CALL ME", "234"), None);
        assert_eq!(to_e164("+234 803 123 456a", "234"), None);
        assert_eq!(to_e164("", "234"), None);
        assert_eq!(to_e164("+", "234"), None);
        assert_eq!(to_e164("+1234567", "234"), None, "7 digits");
        assert_eq!(to_e164("+12345678", "234").as_deref(), Some("+12345678"));
        assert_eq!(to_e164("012", "234"), None, "too short");
        assert_eq!(to_e164("+1234567890123456", "234"), None, "16 digits");
        assert_eq!(to_e164("+123456789012345", "234").as_deref(), Some("+123456789012345"));
        assert_eq!(to_e164("+0803 123 4567", "234"), None, "no country code 0");
        assert_eq!(to_e164("080+3123 4567", "234"), None, "+ only in front");
    }

    #[test]
    fn gsm_parts_break_at_160_then_153() {
        assert_eq!(parts(""), 0);
        assert_eq!(parts("a"), 1);
        assert_eq!(parts(&"a".repeat(160)), 1);
        assert_eq!(parts(&"a".repeat(161)), 2);
        assert_eq!(parts(&"a".repeat(306)), 2);
        assert_eq!(parts(&"a".repeat(307)), 3);
        assert_eq!(parts(&"é£Ø@".repeat(40)), 1, "accented GSM letters are one septet");
    }

    #[test]
    fn gsm_extension_characters_count_two() {
        for c in ['^', '{', '}', '\\', '[', '~', ']', '|', '€'] {
            let mut text = "a".repeat(158);
            text.push(c);
            assert_eq!(parts(&text), 1, "158 + {c}");
            text.insert(0, 'a');
            assert_eq!(parts(&text), 2, "159 + {c}");
        }
        assert_eq!(parts(&"€".repeat(80)), 1);
        assert_eq!(parts(&"€".repeat(81)), 2);
        // An escaped character is never split between parts: 152 septets, then € starts part two.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(parts(&text), 3);
    }

    #[test]
    fn anything_outside_gsm_makes_it_ucs2() {
        assert_eq!(parts(&"ọ".repeat(70)), 1);
        assert_eq!(parts(&"ọ".repeat(71)), 2);
        assert_eq!(parts(&format!("{}ọ", "a".repeat(69))), 1);
        assert_eq!(parts(&format!("{}ọ", "a".repeat(70))), 2);
        assert_eq!(parts(&"ọ".repeat(134)), 2);
        assert_eq!(parts(&"ọ".repeat(135)), 3);
        // Emoji are two UTF-16 units.
        assert_eq!(parts(&"🙂".repeat(35)), 1);
        assert_eq!(parts(&"🙂".repeat(36)), 2);
        assert_eq!(parts("…"), 1);
    }

    #[test]
    fn fit_leaves_short_texts_alone() {
        let text = "a".repeat(160);
        assert_eq!(fit(&text, 1), text);
        let text = "ọ".repeat(70);
        assert_eq!(fit(&text, 1), text);
        assert_eq!(fit("", 1), "");
        assert_eq!(fit("hello", 0), "");
    }

    #[test]
    fn fit_cuts_gsm_with_three_dots() {
        let cut = fit(&"a".repeat(161), 1);
        assert_eq!(cut, format!("{}...", "a".repeat(157)));
        assert_eq!(parts(&cut), 1);
        assert!(is_gsm(&cut));

        let cut = fit(&"a".repeat(1000), 2);
        assert_eq!(cut, format!("{}...", "a".repeat(303)));
        assert_eq!(parts(&cut), 2);

        // Extension characters count two when cutting too.
        let cut = fit(&"€".repeat(100), 1);
        assert_eq!(cut, format!("{}...", "€".repeat(78)));
        assert_eq!(parts(&cut), 1);

        // No space left before the marker.
        let text = format!("{} {}", "a".repeat(156), "b".repeat(10));
        assert_eq!(fit(&text, 1), format!("{}...", "a".repeat(156)));
    }

    #[test]
    fn fit_cuts_ucs2_with_an_ellipsis() {
        let cut = fit(&"ọ".repeat(71), 1);
        assert_eq!(cut, format!("{}…", "ọ".repeat(69)));
        assert_eq!(parts(&cut), 1);

        let cut = fit(&"ọ".repeat(500), 3);
        assert_eq!(cut, format!("{}…", "ọ".repeat(200)));
        assert_eq!(parts(&cut), 3);

        // A surrogate pair is never cut in half.
        let cut = fit(&"🙂".repeat(40), 1);
        assert_eq!(cut, format!("{}…", "🙂".repeat(34)));
        assert_eq!(parts(&cut), 1);
    }

    #[test]
    fn fit_keeps_a_gsm_start_as_gsm_when_that_keeps_more() {
        // The only non-GSM character comes late: cut before it, stay GSM-7, keep 157 characters.
        let text = format!("{}ọ", "a".repeat(200));
        assert_eq!(fit(&text, 1), format!("{}...", "a".repeat(157)));
        // It comes early: UCS-2 with an ellipsis keeps more.
        let text = format!("ọ{}", "a".repeat(200));
        assert_eq!(fit(&text, 1), format!("ọ{}…", "a".repeat(68)));
    }

    #[test]
    fn fit_always_fits() {
        let samples = [
            "Your appointment with Dr. Okafor is at 10:30 tomorrow [Room 4] {bring your card} ~ €5 fee | ok",
            "Ẹ káàárọ̀! Your results are ready at the clinic lab 🙂",
            "line one\nline two\r\nline three",
        ];
        for sample in samples {
            let text = sample.repeat(20);
            for max in 1..5 {
                let cut = fit(&text, max);
                assert!(parts(&cut) <= max, "{max} parts: {cut}");
                if parts(&text) > max {
                    assert!(cut.ends_with("...") || cut.ends_with('…'), "{max} parts: {cut}");
                } else {
                    assert_eq!(cut, text);
                }
            }
        }
    }

    #[test]
    fn a_sent_message_gives_its_id() {
        let body = r#"{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: NGN 2.2000","Recipients":[
            {"statusCode":101,"number":"+2348031234567","status":"Success","cost":"NGN 2.2000",
             "messageId":"ATXid_5f2a"}]}}"#;
        assert_eq!(read_response(201, body), Ok("ATXid_5f2a".to_owned()));
        for code in [100, 102] {
            let body = format!(
                r#"{{"SMSMessageData":{{"Message":"Sent","Recipients":[{{"statusCode":{code},"number":"+2348031234567","status":"Queued","messageId":"ATXid_1"}}]}}}}"#
            );
            assert_eq!(read_response(201, &body), Ok("ATXid_1".to_owned()));
        }
        // A status code sent as a string.
        let body = r#"{"SMSMessageData":{"Recipients":[{"statusCode":"101","messageId":"ATXid_2"}]}}"#;
        assert_eq!(read_response(200, body), Ok("ATXid_2".to_owned()));
    }

    fn recipient(code: u64, status: &str) -> String {
        format!(
            r#"{{"SMSMessageData":{{"Message":"Sent to 0/1 Total Cost: 0","Recipients":[{{"statusCode":{code},"number":"+2348031234567","status":"{status}","cost":"0","messageId":"None"}}]}}}}"#
        )
    }

    #[test]
    fn a_rejected_recipient_is_permanent_in_the_providers_words() {
        assert_eq!(
            read_response(201, &recipient(403, "InvalidPhoneNumber")),
            Err(DeliveryError::Permanent("InvalidPhoneNumber (403)".to_owned()))
        );
        for (code, status) in [
            (401, "RiskHold"),
            (402, "InvalidSenderId"),
            (404, "UnsupportedNumberType"),
            (405, "InsufficientBalance"),
            (406, "UserInBlacklist"),
            (407, "CouldNotRoute"),
            (409, "DoNotDisturbRejection"),
        ] {
            assert_eq!(
                read_response(201, &recipient(code, status)),
                Err(DeliveryError::Permanent(format!("{status} ({code})")))
            );
        }
        // Without a status, the documented name.
        let body = r#"{"SMSMessageData":{"Recipients":[{"statusCode":406}]}}"#;
        assert_eq!(
            read_response(201, body),
            Err(DeliveryError::Permanent("UserInBlacklist (406)".to_owned()))
        );
    }

    #[test]
    fn a_gateway_failure_is_temporary() {
        for (code, status) in [
            (500, "InternalServerError"),
            (501, "GatewayError"),
            (502, "RejectedByGateway"),
        ] {
            assert_eq!(
                read_response(201, &recipient(code, status)),
                Err(DeliveryError::Temporary(format!("{status} ({code})")))
            );
        }
    }

    #[test]
    fn no_recipient_gives_the_message() {
        let body = r#"{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}"#;
        assert_eq!(
            read_response(201, body),
            Err(DeliveryError::Permanent(
                "Africa's Talking sent to no one: InvalidSenderId".to_owned()
            ))
        );
    }

    #[test]
    fn http_errors_quote_the_body() {
        match read_response(401, "The supplied authentication is invalid") {
            Err(DeliveryError::Permanent(message)) => {
                assert!(message.contains("The supplied authentication is invalid"), "{message}");
                assert!(message.contains("401"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        match read_response(400, "Request is missing required form field 'to'\n") {
            Err(DeliveryError::Permanent(message)) => {
                assert!(message.contains("missing required form field 'to'"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        for status in [500, 502, 503, 504, 429] {
            assert!(
                matches!(read_response(status, "Bad gateway"), Err(DeliveryError::Temporary(_))),
                "{status}"
            );
        }
        match read_response(503, "") {
            Err(DeliveryError::Temporary(message)) => assert!(message.contains("(empty answer)")),
            other => panic!("{other:?}"),
        }
        let long = "x".repeat(5000);
        match read_response(400, &long) {
            Err(DeliveryError::Permanent(message)) => assert!(message.len() < 400),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_that_is_not_json_is_temporary() {
        assert!(matches!(
            read_response(201, "<html>maintenance</html>"),
            Err(DeliveryError::Temporary(_))
        ));
        assert!(matches!(
            read_response(201, r#"{"SMSMessageData":{"Recipients":[{"number":"+234"}]}}"#),
            Err(DeliveryError::Permanent(_))
        ));
    }

    #[test]
    fn configured_needs_a_username_and_a_key() {
        let mut provider = SmsProvider {
            endpoint: LIVE_ENDPOINT.to_owned(),
            username: "clinic".to_owned(),
            api_key: "key".to_owned(),
            sender_id: String::new(),
        };
        assert!(provider.is_configured());
        provider.api_key = " ".to_owned();
        assert!(!provider.is_configured());
        provider.api_key = "key".to_owned();
        provider.username = String::new();
        assert!(!provider.is_configured());
    }

    #[tokio::test]
    async fn an_unconfigured_provider_sends_nothing() {
        let provider = SmsProvider {
            endpoint: "http://127.0.0.1:9/version1/messaging".to_owned(),
            username: String::new(),
            api_key: String::new(),
            sender_id: String::new(),
        };
        let sent = send(&reqwest::Client::new(), &provider, "+2348031234567", "hi").await;
        assert!(matches!(sent, Err(DeliveryError::Permanent(_))), "{sent:?}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_temporary() {
        // Bind then drop a listener: its port refuses connections for now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let provider = SmsProvider {
            endpoint: format!("http://127.0.0.1:{port}/version1/messaging"),
            username: "clinic".to_owned(),
            api_key: "key".to_owned(),
            sender_id: String::new(),
        };
        let sent = send(&reqwest::Client::new(), &provider, "+2348031234567", "hi").await;
        assert!(matches!(sent, Err(DeliveryError::Temporary(_))), "{sent:?}");
    }

    #[tokio::test]
    async fn a_bad_endpoint_is_permanent() {
        let provider = SmsProvider {
            endpoint: "not a url".to_owned(),
            username: "clinic".to_owned(),
            api_key: "key".to_owned(),
            sender_id: String::new(),
        };
        let sent = send(&reqwest::Client::new(), &provider, "+2348031234567", "hi").await;
        assert!(matches!(sent, Err(DeliveryError::Permanent(_))), "{sent:?}");
    }
}

//! A believable account, the same for the same seed (ids, emails, names, sizes; times are
//! relative to start-up so recordings always fall within the last ~six months).

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::SandboxConfig;
use crate::model::{
    Event, EventKind, Participant, PastInstance, RecordingFile, RecordingMeeting, Registrant, User,
    recurring_occurrences,
};
use crate::rng::{SeqRng, draw, zoom_id};
use crate::store::Store;

/// (as written, as in an email address)
pub(crate) const FIRST: &[(&str, &str)] = &[
    ("Ada", "ada"),
    ("Grace", "grace"),
    ("Alan", "alan"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Søren", "soren"),
    ("Łukasz", "lukasz"),
    ("Siobhán", "siobhan"),
    ("François", "francois"),
    ("Ngọc", "ngoc"),
    ("伟", "wei"),
    ("美咲", "misaki"),
    ("Ólafur", "olafur"),
    ("Amara", "amara"),
    ("Priya", "priya"),
    ("Mateo", "mateo"),
    ("Chloé", "chloe"),
    ("Kwame", "kwame"),
    ("Yuki", "yuki"),
    ("Fatima", "fatima"),
    ("Liam", "liam"),
    ("Olga", "olga"),
    ("Hiroshi", "hiroshi"),
    ("Ines", "ines"),
    ("Emma", "emma"),
    ("Noah", "noah"),
    ("Sofia", "sofia"),
    ("Mohammed", "mohammed"),
];

pub(crate) const LAST: &[(&str, &str)] = &[
    ("Lovelace", "lovelace"),
    ("Hopper", "hopper"),
    ("Müller", "muller"),
    ("O'Brien", "obrien"),
    ("García", "garcia"),
    ("李", "li"),
    ("Nguyễn", "nguyen"),
    ("Kowalski", "kowalski"),
    ("Smith", "smith"),
    ("Okafor", "okafor"),
    ("Ivanova", "ivanova"),
    ("佐藤", "sato"),
    ("van der Berg", "vanderberg"),
    ("Søndergaard", "sondergaard"),
    ("Chen", "chen"),
    ("Patel", "patel"),
    ("Williams", "williams"),
    ("Haddad", "haddad"),
    ("Fernández", "fernandez"),
    ("Dvořák", "dvorak"),
    ("Tanaka", "tanaka"),
    ("Johnson", "johnson"),
];

const DEPTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Support",
    "Legal",
    "Operations",
    "",
];
const TITLES: &[&str] = &[
    "Engineer",
    "Account Executive",
    "Analyst",
    "Manager",
    "Director",
    "Coordinator",
    "",
];
const TIMEZONES: &[&str] = &[
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "UTC",
];
const LOCATIONS: &[&str] = &[
    "New York",
    "San Jose",
    "London",
    "Berlin",
    "Tokyo",
    "Bengaluru",
    "",
];
const MEETING_TOPICS: &[&str] = &[
    "Quarterly business review",
    "Product roadmap: Q3",
    "Customer onboarding clinic",
    "All-hands",
    "Security awareness training",
    "Partner enablement",
    "Office hours",
    "Hiring sync",
];
const WEBINAR_TOPICS: &[&str] = &[
    "Launch webinar",
    "Customer stories live",
    "Ask me anything",
    "Product deep dive",
    "Year in review",
];
const REGISTRANT_DOMAINS: &[&str] = &[
    "example.org",
    "example.net",
    "partner.example.com",
    "mail.example.com",
];

/// Email domain of seeded users: distinct from what tests import, so seeds never collide.
pub const SEED_DOMAIN: &str = "corp.example.com";
pub const OWNER_EMAIL: &str = "owner@corp.example.com";

/// Groups every sandbox account has; seeded users of the department of the same name
/// are members.
pub const SEED_GROUPS: &[&str] = &["Sales", "Engineering", "Support", "Marketing"];

pub fn seed(store: &Store, cfg: &SandboxConfig) {
    let groups: Vec<(String, String)> = SEED_GROUPS
        .iter()
        .filter_map(|name| store.insert_group(name).ok())
        .map(|g| (g.name, g.id))
        .collect();
    let now = Utc::now()
        .duration_trunc(Duration::minutes(1))
        .unwrap_or_else(|_| Utc::now());
    let mut rng = SeqRng::new(cfg.seed, "users");
    let mut owner = User::new(OWNER_EMAIL, "Sandbox", "Owner");
    owner.role_id = "0".to_string();
    owner.user_type = 2;
    owner.dept = "Operations".to_string();
    owner.job_title = "IT Administrator".to_string();
    owner.created_at = now - Duration::days(1200);
    owner.last_login_time = Some(now - Duration::hours(3));
    owner.last_client_version = "6.2.0.46690(mac)".to_string();
    owner.pmi = 2_000_000_000 + draw(cfg.seed, "pmi", 0) % 7_999_999_999;
    owner.host_key = format!("{:06}", draw(cfg.seed, "hostkey", 0) % 1_000_000);
    // The owner always exists: a fresh store cannot already hold its email.
    let owner = store.insert_owner(owner).ok();

    let mut hosts: Vec<String> = owner.iter().map(|o| o.id.clone()).collect();
    for i in 0..cfg.seed_users {
        let (first, first_ascii) = *rng.pick(FIRST);
        let (last, last_ascii) = *rng.pick(LAST);
        let email = format!("{first_ascii}.{last_ascii}{i}@{SEED_DOMAIN}");
        let mut u = User::new(&email, first, last);
        u.status = if rng.chance(0.06) {
            "inactive"
        } else if rng.chance(0.04) {
            "pending"
        } else {
            "active"
        }
        .to_string();
        u.user_type = match rng.below(20) {
            0 => 4,
            1..=5 => 1,
            _ => 2,
        };
        u.role_id = if rng.chance(0.05) { "1" } else { "2" }.to_string();
        u.dept = rng.pick(DEPTS).to_string();
        u.job_title = rng.pick(TITLES).to_string();
        u.timezone = rng.pick(TIMEZONES).to_string();
        u.location = rng.pick(LOCATIONS).to_string();
        u.company = "Example Corp".to_string();
        u.phone_number = format!("+1 555 {:03} {:04}", rng.below(1000), rng.below(10_000));
        u.created_via = if u.status == "pending" { "create" } else { "seed" }.to_string();
        u.verified = u8::from(u.status != "pending");
        u.created_at = now - Duration::minutes(i64::try_from(rng.range(60, 1_500_000)).unwrap_or(60));
        if u.status == "active" && rng.chance(0.8) {
            u.last_login_time =
                Some(now - Duration::minutes(i64::try_from(rng.range(5, 200_000)).unwrap_or(5)));
            u.last_client_version = "6.1.5.38502(win)".to_string();
        }
        u.pmi = 2_000_000_000 + rng.below(7_999_999_999);
        u.employee_unique_id = format!("E{:06}", i + 1);
        // Pending users are not members of the account yet, nor of its groups.
        u.group_ids = groups
            .iter()
            .filter(|(name, _)| *name == u.dept && u.status != "pending")
            .map(|(_, id)| id.clone())
            .collect();
        let licensed_host = u.user_type == 2 && u.status != "pending";
        if let Ok(u) = store.insert_user(u)
            && licensed_host
        {
            hosts.push(u.id);
        }
    }
    let active_hosts: Vec<String> = hosts
        .iter()
        .filter(|h| store.user_by_id(h).is_some_and(|u| u.status == "active"))
        .cloned()
        .collect();
    let event_hosts = if active_hosts.is_empty() {
        hosts.clone()
    } else {
        active_hosts
    };
    seed_events(store, cfg, now, &event_hosts);
    seed_recordings(store, cfg, now, &hosts);
    // Past meetings: any active user hosts them, Basic ones too (their reports are refused).
    let mut active: Vec<String> = store
        .users()
        .into_iter()
        .filter(|u| u.status == "active")
        .map(|u| u.id)
        .collect();
    active.sort();
    seed_past(store, cfg, now, &active);
}

/// A base64-like instance UUID; some begin with `/` or hold `//`, the two shapes
/// that must be encoded twice in a path (FACTS).
pub fn instance_uuid(seed: u64, n: u64) -> String {
    let body: String = zoom_id(seed, "instance-uuid", n).chars().take(20).collect();
    match n % 6 {
        0 => format!("/{}==", &body[..body.len().min(19)]),
        3 => format!("{}//{}==", &body[..body.len().min(9)], &body[body.len().min(9)..]),
        4 => format!("{}+/{}==", &body[..body.len().min(9)], &body[body.len().min(9)..]),
        _ => format!("{body}=="),
    }
}

/// Participants of one instance: 2 to 8 people, some rejoining (a second record),
/// some from outside the account (no email), within the instance's time.
fn seed_participants(
    users: &[User],
    rng: &mut SeqRng,
    start: DateTime<Utc>,
    minutes: u32,
    invited: &[(String, String)],
) -> Vec<Participant> {
    let end = start + Duration::minutes(i64::from(minutes));
    let people = rng.range(2, 8);
    let mut out = Vec::new();
    for n in 0..people {
        let (name, email, id) = match (rng.below(3), invited.get(n as usize)) {
            (_, Some((name, email))) => (name.clone(), email.clone(), String::new()),
            (0, None) => {
                let (first, _) = *rng.pick(FIRST);
                let (last, _) = *rng.pick(LAST);
                (format!("{first} {last}"), String::new(), String::new())
            }
            _ => match users.get(rng.below(users.len().max(1) as u64) as usize) {
                Some(u) => (u.display_name.clone(), u.email.clone(), u.id.clone()),
                None => ("Guest".to_string(), String::new(), String::new()),
            },
        };
        let sessions = if rng.chance(0.25) { 2 } else { 1 };
        let mut at = start + Duration::minutes(i64::try_from(rng.below(5)).unwrap_or(0));
        for s in 0..sessions {
            let left = (at
                + Duration::minutes(i64::try_from(rng.range(3, u64::from(minutes.max(4)))).unwrap_or(3)))
            .min(end);
            let joined = at.min(left);
            out.push(Participant {
                id: id.clone(),
                user_id: format!("{}", 16_000_000 + rng.below(1_000_000)),
                name: name.clone(),
                user_email: email.clone(),
                join_time: joined,
                leave_time: left,
                duration: u32::try_from((left - joined).num_seconds()).unwrap_or(0),
                status: "in_meeting".to_string(),
            });
            at = left + Duration::minutes(1 + i64::from(s));
        }
    }
    out.sort_by_key(|p| p.join_time);
    out
}

fn seed_past(store: &Store, cfg: &SandboxConfig, now: DateTime<Utc>, hosts: &[String]) {
    if hosts.is_empty() || cfg.seed_past_meetings == 0 {
        return;
    }
    let mut rng = SeqRng::new(cfg.seed, "past");
    let mut instance_n = 0u64;
    let users = store.users();
    for i in 0..cfg.seed_past_meetings {
        let recurring = i % 5 == 4;
        let days_ago = if i % 17 == 16 { 400 } else { rng.range(1, 120) };
        let start = now - Duration::days(i64::try_from(days_ago).unwrap_or(1))
            + Duration::minutes(i64::try_from(rng.below(600)).unwrap_or(0));
        let duration = 30 * u32::try_from(rng.range(1, 3)).unwrap_or(1);
        let event = Event {
            kind: EventKind::Meeting,
            id: 0,
            uuid: String::new(),
            host_id: rng.pick(hosts).clone(),
            topic: format!("{} (held) #{}", rng.pick(MEETING_TOPICS), i + 1),
            event_type: if recurring { 8 } else { 2 },
            start_time: start,
            duration,
            timezone: rng.pick(TIMEZONES).to_string(),
            agenda: String::new(),
            created_at: start - Duration::days(7),
            password: format!("{:06}", rng.below(1_000_000)),
            approval_type: 2,
            registration_type: 1,
            occurrences: if recurring {
                recurring_occurrences(start, duration, 2, 1, 3)
            } else {
                Vec::new()
            },
        };
        let event = store.insert_event(event);
        let held = if recurring { 3 } else { 1 };
        for k in 0..held {
            let at = start + Duration::weeks(k);
            if at + Duration::minutes(i64::from(duration)) >= now {
                break;
            }
            let participants = seed_participants(&users, &mut rng, at, duration, &[]);
            store.insert_past(PastInstance {
                uuid: instance_uuid(cfg.seed, instance_n),
                event_id: event.id,
                kind: EventKind::Meeting,
                start_time: at,
                end_time: at + Duration::minutes(i64::from(duration)),
                participants,
            });
            instance_n += 1;
        }
    }
    // Two past webinars with registration: some registrants came, the rest are absentees.
    let licensed: Vec<String> = hosts
        .iter()
        .filter(|h| store.user_by_id(h).is_some_and(|u| u.user_type == 2))
        .cloned()
        .collect();
    for i in 0..2u64 {
        let Some(host) = licensed.get(i as usize % licensed.len().max(1)) else {
            break;
        };
        let start = now - Duration::days(i64::try_from(rng.range(2, 60)).unwrap_or(2));
        let event = store.insert_event(Event {
            kind: EventKind::Webinar,
            id: 0,
            uuid: String::new(),
            host_id: host.clone(),
            topic: format!("{} (held) #{}", rng.pick(WEBINAR_TOPICS), i + 1),
            event_type: 5,
            start_time: start,
            duration: 60,
            timezone: "UTC".to_string(),
            agenda: String::new(),
            created_at: start - Duration::days(14),
            password: String::new(),
            approval_type: 0,
            registration_type: 1,
            occurrences: Vec::new(),
        });
        seed_registrants(store, &mut rng, &event, start);
        let registrants = store.registrants(event.id);
        let came: Vec<(String, String)> = registrants
            .iter()
            .filter(|_| rng.chance(0.6))
            .map(|r| (format!("{} {}", r.first_name, r.last_name), r.email.clone()))
            .collect();
        let participants = seed_participants(&users, &mut rng, start, 60, &came);
        store.insert_past(PastInstance {
            uuid: instance_uuid(cfg.seed, instance_n),
            event_id: event.id,
            kind: EventKind::Webinar,
            start_time: start,
            end_time: start + Duration::minutes(60),
            participants,
        });
        instance_n += 1;
    }
}

fn seed_events(store: &Store, cfg: &SandboxConfig, now: DateTime<Utc>, hosts: &[String]) {
    if hosts.is_empty() {
        return;
    }
    let mut rng = SeqRng::new(cfg.seed, "events");
    let start_of =
        |rng: &mut SeqRng| now + Duration::hours(i64::try_from(rng.range(24, 24 * 60)).unwrap_or(24));
    for i in 0..cfg.seed_meetings {
        let start = start_of(&mut rng);
        let (event_type, approval_type) = match i % 4 {
            0 => (2, 0),
            1 => (2, 1),
            2 => (2, 2),
            _ => (8, 0),
        };
        let event = Event {
            kind: EventKind::Meeting,
            id: 0,
            uuid: String::new(),
            host_id: rng.pick(hosts).clone(),
            topic: format!("{} #{}", rng.pick(MEETING_TOPICS), i + 1),
            event_type,
            start_time: start,
            duration: 30 * u32::try_from(rng.range(1, 4)).unwrap_or(1),
            timezone: rng.pick(TIMEZONES).to_string(),
            agenda: String::new(),
            created_at: now - Duration::days(i64::try_from(rng.range(1, 30)).unwrap_or(1)),
            password: format!("{:06}", rng.below(1_000_000)),
            approval_type,
            registration_type: 1,
            occurrences: if event_type == 8 {
                recurring_occurrences(start, 60, 2, 1, 4)
            } else {
                Vec::new()
            },
        };
        let event = store.insert_event(event);
        seed_registrants(store, &mut rng, &event, now);
    }
    for i in 0..cfg.seed_webinars {
        let start = start_of(&mut rng);
        let (event_type, approval_type) = match i % 4 {
            0 => (5, 0),
            1 => (5, 2),
            2 => (5, 1),
            _ => (9, 0),
        };
        let event = Event {
            kind: EventKind::Webinar,
            id: 0,
            uuid: String::new(),
            host_id: rng.pick(hosts).clone(),
            topic: format!("{} #{}", rng.pick(WEBINAR_TOPICS), i + 1),
            event_type,
            start_time: start,
            duration: 60,
            timezone: rng.pick(TIMEZONES).to_string(),
            agenda: String::new(),
            created_at: now - Duration::days(i64::try_from(rng.range(1, 30)).unwrap_or(1)),
            password: format!("{:06}", rng.below(1_000_000)),
            approval_type,
            registration_type: 1,
            occurrences: if event_type == 9 {
                recurring_occurrences(start, 60, 2, 1, 3)
            } else {
                Vec::new()
            },
        };
        let event = store.insert_event(event);
        seed_registrants(store, &mut rng, &event, now);
    }
}

fn seed_registrants(store: &Store, rng: &mut SeqRng, event: &Event, now: DateTime<Utc>) {
    if !event.registration_enabled() {
        return;
    }
    let count = rng.range(5, 40);
    for n in 0..count {
        let (first, first_ascii) = *rng.pick(FIRST);
        let (last, last_ascii) = *rng.pick(LAST);
        let email = format!(
            "{first_ascii}.{last_ascii}.{}.{n}@{}",
            event.id % 10_000,
            rng.pick(REGISTRANT_DOMAINS)
        );
        let mut r = Registrant::new(&email, first, last);
        r.status = if event.approval_type == 1 {
            match rng.below(20) {
                0..=4 => "pending",
                5..=7 => "denied",
                _ => "approved",
            }
        } else {
            "approved"
        }
        .to_string();
        r.create_time = now - Duration::minutes(i64::try_from(rng.range(10, 20_000)).unwrap_or(10));
        r.org = "Example Partners".to_string();
        r.occurrence_ids = event
            .occurrences
            .iter()
            .map(|o| o.occurrence_id.clone())
            .collect();
        let _ = store.insert_registrant(event.id, r);
    }
}

fn uuid_like(seed: u64, n: u64) -> String {
    let a = draw(seed, "file-uuid", n);
    let b = draw(seed, "file-uuid2", n);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn seed_recordings(store: &Store, cfg: &SandboxConfig, now: DateTime<Utc>, hosts: &[String]) {
    if hosts.is_empty() {
        return;
    }
    let mut rng = SeqRng::new(cfg.seed, "recordings");
    let mut file_n = 0u64;
    for i in 0..cfg.seed_recordings {
        // Between two hours and ~178 days ago: inside a 180-day export, outside "today only".
        let start = now - Duration::minutes(i64::try_from(rng.range(120, 178 * 24 * 60)).unwrap_or(120));
        let duration = u32::try_from(rng.range(5, 120)).unwrap_or(30);
        let end = start + Duration::minutes(i64::from(duration));
        let rec_start = start + Duration::seconds(i64::try_from(rng.below(60)).unwrap_or(0));
        let mut files = Vec::new();
        let mut add = |rng: &mut SeqRng, file_type: &str, ext: &str, kind: Option<&str>, lo: u64, hi: u64| {
            file_n += 1;
            files.push(RecordingFile {
                id: kind.map(|_| uuid_like(cfg.seed, file_n)),
                download_id: String::new(),
                file_type: file_type.to_string(),
                file_extension: ext.to_string(),
                file_size: rng.range(lo, hi),
                recording_type: kind.map(str::to_string),
                recording_start: rec_start,
                recording_end: end,
                deleted_time: None,
            });
        };
        add(
            &mut rng,
            "MP4",
            "MP4",
            Some("shared_screen_with_speaker_view"),
            40_000,
            300_000,
        );
        add(&mut rng, "M4A", "M4A", Some("audio_only"), 10_000, 80_000);
        if rng.chance(0.7) {
            add(
                &mut rng,
                "TRANSCRIPT",
                "VTT",
                Some("audio_transcript"),
                2_000,
                20_000,
            );
            if rng.chance(0.8) {
                add(&mut rng, "CC", "VTT", None, 2_000, 20_000);
            }
        }
        if rng.chance(0.5) {
            add(&mut rng, "CHAT", "TXT", Some("chat_file"), 1_000, 6_000);
        }
        if rng.chance(0.6) {
            add(&mut rng, "TIMELINE", "JSON", None, 1_000, 10_000);
        }
        let meeting = RecordingMeeting {
            uuid: format!("{}==", zoom_id(cfg.seed, "recording-uuid", i as u64)),
            id: 80_000_000_000 + draw(cfg.seed, "recording-id", i as u64) % 19_999_999_999,
            host_id: rng.pick(hosts).clone(),
            topic: format!("{} (recorded)", rng.pick(MEETING_TOPICS)),
            meeting_type: if rng.chance(0.2) { 8 } else { 2 },
            start_time: start,
            timezone: rng.pick(TIMEZONES).to_string(),
            duration,
            trashed: false,
            recording_files: files,
        };
        store.insert_recording(meeting);
    }
}

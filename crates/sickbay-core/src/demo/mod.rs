//! `sickbay demo`: fills an empty database with a realistic university clinic (faculties and departments,
//! staff, six doctors with weekly hours and rooms, students with portal access, past visits, bookings ahead and
//! today's queue in progress) and says how to log in. The choices come from a seeded random generator and the
//! clinic's today (`model`), so the same seed on the same day gives the same clinic. Setting up and today's
//! work go through the features' services, which keep their rules and write their audit rows; the history
//! goes in as bulk rows (`repo`). Billing (`billing`) prices the clinic's services, puts students under the
//! scheme and bills the recent past visits and today's through the billing service.

pub mod billing;
pub mod drugs;
mod lab;
pub mod model;
mod pharmacy;
pub mod repo;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Duration as Days, NaiveDate};
use rand::rngs::StdRng;

use crate::academic::model::{DepartmentInput, FacultyInput, LevelInput, SessionInput};
use crate::academic::service as academic;
use crate::audit::AuditEntry;
use crate::auth::password;
use crate::consult::service as consult;
use crate::db::events::Call;
use crate::db::{Date, Db, Timestamp, redact};
use crate::identity::Actor;
use crate::identity::Role;
use crate::patients::model::{PatientDetails, PatientKind, clinic_number, clinic_number_sequence};
use crate::patients::service as patients;
use crate::queue::model::{Move, Priority};
use crate::queue::service::{self as queue, MoveRequest, RoomForm, WalkInPatient};
use crate::scheduling::model::{AppointmentStatus, Hours, NewClosure, generate};
use crate::scheduling::service::{self as scheduling, Booker, Canceller};
use crate::settings::{Settings, SettingsCache};
use crate::staff::model::NewStaff;
use crate::staff::service as staff;
use model::{
    AcademicIds, AheadBooking, Calendar, DOCTORS, Doctor, EARLY_WALK_INS, LAB, LATE_WALK_INS, LastCall, Ledger, Login,
    PASSWORD, PHARMACIST, Person, RECEPTIONIST, STAFF, Scale, Staffing, Stream, Student, TODAY, WalkIn,
};

pub use model::{DEFAULT_SEED, Size};

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub size: Size,
    pub seed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database holds a clinic already: the demo never mixes its people with real ones.
    #[error("{0}")]
    NotEmpty(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sqlx::Error> for DemoError {
    fn from(err: sqlx::Error) -> Self {
        DemoError::Failed(err.into())
    }
}

impl From<crate::error::ServiceError> for DemoError {
    fn from(err: crate::error::ServiceError) -> Self {
        DemoError::Failed(err.into())
    }
}

/// What the demo made: the logins to print and how much of everything.
#[derive(Debug)]
pub struct Demo {
    pub logins: Vec<Login>,
    pub counts: repo::Counts,
    pub billed: billing::Billed,
}

/// Fills `db`, which must be migrated and hold no patients, staff or appointments.
pub async fn run(db: &Db, options: &Options) -> Result<Demo, DemoError> {
    refuse_unless_empty(db).await?;
    // Claims the current search-token rules while there is nobody to index, as a first start does; else the
    // first start after the demo would make every patient's tokens again.
    patients::refresh_search_tokens(db).await?;
    let settings = SettingsCache::load(db).await?.get();
    let started = Instant::now();
    let (filling, hours, students) = set_up(db, options, &settings).await?;
    progress(started, "the university, its staff and students");
    let today = filling.calendar.today;
    let mut ledger = Ledger::new(filling.people.len(), today, settings.booking.max_future);
    let today_bookings = filling.history(&hours, &mut ledger).await?;
    repo::visits_from_history(db, Date(today)).await?;
    // The services below query tables that just grew by thousands of rows: fresh statistics first.
    repo::analyze(db).await?;
    progress(started, "the history");
    let ahead = filling.bookings_ahead(&mut ledger).await?;
    progress(started, "the appointments ahead");
    let waiting = Queue::new(&filling).run(&today_bookings, &mut ledger).await?;
    spread_today_over_the_morning(db, &settings, today).await?;
    let shelf = crate::dispensing::Shelf {
        today: Date(today),
        min_shelf_days: settings.pharmacy.min_shelf_days,
        only_when_paid: settings.billing.dispense_only_when_paid,
    };
    pharmacy::dispense_today(db, &filling.staffing.pharmacist, shelf).await?;
    progress(started, "today's queue and pharmacy");
    let billed = billing::run(
        db,
        options.seed,
        (&settings, today),
        &filling.staffing.reception,
        &filling.people,
        filling.scheme_id,
    )
    .await?;
    progress(started, "billing");
    // The past days' report figures, as the summary job keeps them when each day closes.
    crate::reports::summarize_closed_days(db, today, settings.clinic.time_zone)
        .await
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    progress(started, "the reports' daily summaries");
    // Billing and the summaries filled and rewrote tables after the statistics above were taken.
    repo::analyze(db).await?;
    Ok(Demo {
        logins: logins(&students, waiting, &ahead, &billed.payers, &filling.staffing),
        counts: repo::counts(db, Date(filling.calendar.today)).await?,
        billed,
    })
}

/// The services stamp today's queue with the second or two the demo took: this gives it a morning's times, so
/// the waits, the medians and the students' estimates read as on a real day.
async fn spread_today_over_the_morning(db: &Db, settings: &Settings, today: NaiveDate) -> anyhow::Result<()> {
    let tickets = repo::today_tickets(db, Date(today)).await?;
    let day_start = Timestamp::start_of_day(today, settings.clinic.time_zone);
    let times = model::spread_over_the_morning(&tickets, Timestamp::now(), day_start);
    repo::set_morning_times(db, &times).await?;
    Ok(())
}

fn progress(started: Instant, done: &str) {
    tracing::info!("demo: {done} after {:.1} s", started.elapsed().as_secs_f64());
}

/// The university's data, the staff with their rooms and hours, the closed days and the students. Returns
/// the clinic so far, the doctors' hours and the students as the model made them.
async fn set_up<'a>(
    db: &'a Db,
    options: &Options,
    settings: &'a Settings,
) -> anyhow::Result<(Filling<'a>, Vec<Hours>, Vec<Student>)> {
    let scale = options.size.scale();
    let calendar = Calendar::new(settings.today(), &scale);
    let hash = password::hash(PASSWORD).await?;
    let setup = Actor::system("demo");
    // The demo clinic keeps the default settings, saved as an admin would on the first run.
    crate::settings::service::save(db, &setup, settings).await?;
    let ids = academic_data(db, &setup, calendar.today).await?;
    let (staffing, admin_id) = staff_and_rooms(db, &setup, &hash, &scale).await?;
    lab::catalogue(db, &setup, settings.currency().minor_digits).await?;
    procedures_and_profiles(db, &setup, &staffing, settings).await?;
    let scheme_id = billing::fee_schedule(db, &setup, settings.currency().minor_digits).await?;
    let hours = weekly_hours(db, &setup, &scale, &staffing, calendar.history_from).await?;
    close_holidays(db, &setup, &calendar, admin_id, &staffing).await?;
    drugs::catalogue(db, &setup, calendar.today, settings.clinic.currency_minor_digits).await?;
    pharmacy::procedure_supplies(db, &setup, Date(calendar.today)).await?;
    let students = model::students(options.seed, scale.students, calendar.today);
    // The roll was imported when the clinic began keeping records here, not today.
    let imported = Timestamp::start_of_day(calendar.history_from, settings.clinic.time_zone);
    let people = insert_students(db, &setup, (&students, imported), &ids, settings, &hash).await?;
    let filling = Filling {
        db,
        seed: options.seed,
        settings,
        calendar,
        scale,
        staffing,
        people,
        scheme_id,
    };
    Ok((filling, hours, students))
}

/// The clinic while the demo fills it.
struct Filling<'a> {
    db: &'a Db,
    seed: u64,
    settings: &'a Settings,
    calendar: Calendar,
    scale: Scale,
    staffing: Staffing,
    people: Vec<Person>,
    /// The student health insurance scheme.
    scheme_id: i64,
}

async fn refuse_unless_empty(db: &Db) -> Result<(), DemoError> {
    let (patients, staff, appointments) = repo::contents(db).await?;
    if patients + staff + appointments == 0 {
        return Ok(());
    }
    Err(DemoError::NotEmpty(format!(
        "this database is not empty ({patients} patients, {staff} staff accounts, {appointments} appointments); \
         the demo fills only an empty database. Give it a new one with --database-url, e.g. sqlite://demo.db"
    )))
}

// ---- setting up, through the services ------------------------------------------------------------------

fn invalid(what: &str, errors: impl std::fmt::Debug) -> anyhow::Error {
    anyhow::anyhow!("the demo's {what} is not valid: {errors:?}")
}

async fn academic_data(db: &Db, actor: &Actor, today: NaiveDate) -> anyhow::Result<AcademicIds> {
    let mut ids = AcademicIds::default();
    for faculty in model::FACULTIES {
        let input = FacultyInput::validate(faculty.name, faculty.code).map_err(|e| invalid("faculty", e))?;
        let faculty_id = academic::create(db, actor, &input).await?;
        let mut departments = Vec::new();
        for (name, code) in faculty.departments {
            let input =
                DepartmentInput::validate(&faculty_id.to_string(), name, code).map_err(|e| invalid("department", e))?;
            departments.push(academic::create(db, actor, &input).await?);
        }
        ids.faculties.push(faculty_id);
        ids.departments.push(departments);
    }
    for (name, order) in model::LEVELS {
        let input = LevelInput::validate(name, &order.to_string()).map_err(|e| invalid("level", e))?;
        ids.levels.push(academic::create(db, actor, &input).await?);
    }
    for session in model::sessions(today) {
        let input = SessionInput::validate(
            &session.name,
            &session.starts_on.to_string(),
            &session.ends_on.to_string(),
        )
        .map_err(|e| invalid("session", e))?;
        ids.session = academic::create(db, actor, &input).await?;
    }
    academic::make_current(db, actor, ids.session).await?;
    Ok(ids)
}

/// The staff (all with the demo password, none asked to change it) and a room for each doctor. Returns who
/// works the desk and the consulting rooms, and the admin's id.
async fn staff_and_rooms(db: &Db, actor: &Actor, hash: &str, scale: &Scale) -> anyhow::Result<(Staffing, i64)> {
    let mut ids = Vec::new();
    for spec in &STAFF {
        ids.push(create_staff(db, actor, spec.username, spec.full_name, spec.role, hash).await?);
    }
    let mut doctors = Vec::new();
    for (i, spec) in scale.doctors().enumerate() {
        let id = create_staff(db, actor, spec.username, spec.full_name, Role::Doctor, hash).await?;
        let form = RoomForm {
            name: spec.room.to_owned(),
            code: spec.code.to_owned(),
            active: None,
            form_id: String::new(),
        };
        let room_id = queue::save_room(db, actor, None, &form)
            .await
            .map_err(|e| anyhow::anyhow!("adding {}: {e}", spec.room))?;
        doctors.push(Doctor {
            person: Person {
                id,
                label: spec.username.to_owned(),
                ip: model::desk_ip(STAFF.len() + i),
            },
            room_id,
            room_name: spec.room.to_owned(),
            room_code: spec.code.to_owned(),
        });
    }
    let reception = Person {
        id: ids[RECEPTIONIST],
        label: STAFF[RECEPTIONIST].username.to_owned(),
        ip: model::desk_ip(RECEPTIONIST),
    };
    let pharmacist = Person {
        id: ids[PHARMACIST],
        label: STAFF[PHARMACIST].username.to_owned(),
        ip: model::desk_ip(PHARMACIST),
    };
    let lab = Person {
        id: ids[LAB],
        label: STAFF[LAB].username.to_owned(),
        ip: model::desk_ip(LAB),
    };
    Ok((
        Staffing {
            reception,
            pharmacist,
            lab,
            doctors,
        },
        ids[0],
    ))
}

/// The procedure catalogue with its prices, and each doctor's profile (issue 11: procedures and profiles).
async fn procedures_and_profiles(
    db: &Db,
    actor: &Actor,
    staffing: &Staffing,
    settings: &Settings,
) -> anyhow::Result<()> {
    let digits = settings.currency().minor_digits;
    for (name, price) in model::PROCEDURES {
        let input = crate::procedures::model::ProcedureInput::validate(name, price, true, digits)
            .map_err(|e| invalid("procedure", e))?;
        crate::procedures::service::create_type(db, actor, &input)
            .await
            .map_err(|e| anyhow::anyhow!("adding the procedure {name}: {e}"))?;
    }
    for (doctor, (specialty, qualifications, note)) in staffing.doctors.iter().zip(model::PROFILES) {
        let input = crate::staff::model::ProfileInput::validate(specialty, qualifications, note)
            .map_err(|e| invalid("doctor's profile", e))?;
        staff::update_profile(db, actor, doctor.person.id, &input)
            .await
            .map_err(|e| anyhow::anyhow!("the profile of {}: {e}", doctor.person.label))?;
    }
    Ok(())
}

async fn create_staff(
    db: &Db,
    actor: &Actor,
    username: &str,
    full_name: &str,
    role: Role,
    hash: &str,
) -> anyhow::Result<i64> {
    let new = NewStaff::validate(username, full_name, &model::staff_email(username), role.as_str())
        .map_err(|e| invalid("staff account", e))?;
    Ok(staff::create_with_hash(db, actor, &new, hash, false).await?)
}

/// Each doctor's weekly hours, valid since the first day of the history. Returns them as stored.
async fn weekly_hours(
    db: &Db,
    actor: &Actor,
    scale: &Scale,
    staffing: &Staffing,
    from: NaiveDate,
) -> anyhow::Result<Vec<Hours>> {
    let mut all = Vec::new();
    for (spec, doctor) in scale.doctors().zip(&staffing.doctors) {
        for hours in spec.hours {
            for weekday in hours.weekdays {
                let mut weekly = Hours {
                    id: 0,
                    doctor_id: doctor.person.id,
                    weekday: *weekday,
                    start_minute: hours.start,
                    end_minute: hours.end,
                    slot_minutes: hours.slot_minutes,
                    capacity: hours.capacity,
                    valid_from: Date(from),
                    valid_until: None,
                    active: true,
                };
                weekly.id = scheduling::add_hours(db, actor, &weekly).await?;
                all.push(weekly);
            }
        }
    }
    Ok(all)
}

/// Closes the clinic on the public holidays from today on (earlier ones are simply left out of the history),
/// and gives the part-time doctor a day of leave next week.
async fn close_holidays(
    db: &Db,
    actor: &Actor,
    calendar: &Calendar,
    admin_id: i64,
    staffing: &Staffing,
) -> anyhow::Result<()> {
    let mut closures: Vec<NewClosure> = model::holidays(calendar.today, calendar.ahead_until)
        .into_iter()
        .map(|(day, name)| NewClosure {
            day: Date(day),
            doctor_id: None,
            reason: name.to_owned(),
        })
        .collect();
    // The part-time doctor is the last of the six named ones.
    if let Some(doctor) = staffing.doctors.get(DOCTORS.len() - 1) {
        closures.push(NewClosure {
            day: Date(model::monday_of(calendar.today) + Days::days(9)),
            doctor_id: Some(doctor.person.id),
            reason: "Annual leave".to_owned(),
        });
    }
    for closure in &closures {
        scheduling::add_closure(db, actor, closure, admin_id).await?;
    }
    Ok(())
}

fn student_person(index: usize, id: i64, clinic_number: String) -> Person {
    Person {
        id,
        label: clinic_number,
        ip: model::student_ip(index),
    }
}

/// The students in bulk, imported at `imported`, numbered as the patients service numbers them
/// (per year of registration, in order), with the same audit rows.
async fn insert_students(
    db: &Db,
    actor: &Actor,
    (students, imported): (&[Student], Timestamp),
    ids: &AcademicIds,
    settings: &Settings,
    hash: &str,
) -> anyhow::Result<Vec<Person>> {
    let pattern = settings.matric_regex();
    let first_id = repo::next_id(db, "patient").await?;
    let mut numbers: BTreeMap<i32, i64> = BTreeMap::new();
    let mut rows = Vec::with_capacity(students.len());
    let mut audit = Vec::with_capacity(students.len());
    for (i, student) in students.iter().enumerate() {
        let number = numbers.entry(student.entry_year).or_insert(0);
        *number += 1;
        let id = first_id + i as i64;
        let clinic_number = clinic_number(student.entry_year, *number);
        let entry = AuditEntry::new("patient.create")
            .record("patient", id)
            .patient(id)
            .detail(&clinic_number);
        audit.push(model::AuditRow {
            at: imported,
            actor: actor.clone(),
            entry,
        });
        rows.push(repo::NewPatient {
            id,
            clinic_number,
            details: student.details(ids, &pattern)?,
            password_hash: hash,
            created_at: imported,
        });
    }
    let counters: Vec<(String, i64)> = numbers
        .into_iter()
        .map(|(year, last)| (clinic_number_sequence(year), last))
        .collect();
    repo::insert_patients(db, &rows, &audit, &counters).await?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| student_person(i, row.id, row.clinic_number))
        .collect())
}

// ---- the past and the days ahead --------------------------------------------------------------------------

/// A booking of today, for the queue to check in.
#[derive(Clone, Copy, Debug)]
struct TodayBooking {
    appointment_id: i64,
    doctor_id: i64,
    starts_at: Timestamp,
}

impl Filling<'_> {
    fn clinic(&self) -> model::Clinic<'_> {
        model::Clinic {
            calendar: &self.calendar,
            scale: &self.scale,
            staffing: &self.staffing,
            patients: &self.people,
        }
    }

    /// Writes the past days (visits, no-shows, cancellations, with their tickets and audit rows) and today's
    /// bookings in bulk, then lets the scheduling service generate the slots ahead as it does every hour.
    /// Returns today's bookings in time order.
    async fn history(&self, hours: &[Hours], ledger: &mut Ledger) -> anyhow::Result<Vec<TodayBooking>> {
        let (from, today) = (self.calendar.history_from, self.calendar.today);
        let holidays = model::holidays(from, today)
            .into_iter()
            .map(|(day, _)| (day, None))
            .collect();
        let specs = generate(hours, &holidays, from, today, self.settings.clinic.time_zone);
        let first = repo::first_ids(self.db).await?;
        let mut rng = model::rng(self.seed, Stream::History);
        let plan = model::plan_history(&mut rng, &specs, self.clinic(), ledger, first);
        repo::insert_history(
            self.db,
            &plan.slots,
            &plan.appointments,
            &plan.tickets,
            &plan.assignments,
            &plan.audit,
        )
        .await?;
        scheduling::generate_slots(self.db, self.settings.slot_horizon(), None).await?;
        let mut bookings: Vec<TodayBooking> = plan
            .appointments
            .iter()
            .filter(|a| a.day.0 == today && a.status == AppointmentStatus::Booked)
            .map(|a| TodayBooking {
                appointment_id: a.id,
                doctor_id: a.doctor_id,
                starts_at: a.starts_at,
            })
            .collect();
        bookings.sort_by_key(|b| (b.starts_at, b.appointment_id));
        Ok(bookings)
    }

    /// Books the days after today through the booking service, as patients on their phones and reception for
    /// them, and cancels a few the way patients do. Returns the bookings that stand.
    async fn bookings_ahead(&self, ledger: &mut Ledger) -> anyhow::Result<Vec<AheadBooking>> {
        let tomorrow = self.calendar.today + Days::days(1);
        let open = repo::open_slots(self.db, Date(tomorrow), Date(self.calendar.ahead_until)).await?;
        let mut rng = model::rng(self.seed, Stream::Ahead);
        let plan = model::plan_ahead(&mut rng, &open, self.clinic(), ledger);
        let rules = self.settings.booking_rules();
        for booking in &plan {
            let patient = &self.people[booking.patient];
            let (actor, booker) = if booking.by_reception {
                let reception = &self.staffing.reception;
                let booker = Booker::Staff {
                    staff_id: reception.id,
                    override_reason: None,
                };
                (reception.as_staff(), booker)
            } else {
                (patient.as_patient(), Booker::Patient)
            };
            let id = scheduling::book(
                self.db,
                &actor,
                &rules,
                patient.id,
                booking.slot_id,
                booking.reason,
                booker,
            )
            .await
            .with_context(|| format!("booking slot {} for patient {}", booking.slot_id, patient.id))?;
            if booking.cancelled {
                let by = Canceller::Patient(patient.id);
                scheduling::cancel(self.db, &patient.as_patient(), &rules, id, by).await?;
            }
        }
        Ok(plan.into_iter().filter(|b| !b.cancelled).collect())
    }
}

// ---- today's queue, through the queue service --------------------------------------------------------------

struct Queue<'a> {
    db: &'a Db,
    today: Date,
    seed: u64,
    staffing: &'a Staffing,
    people: &'a [Person],
    /// Tickets called so far.
    called: HashSet<i64>,
    /// Prescriptions written so far.
    prescribed: usize,
    /// Visits with lab tests ordered so far.
    lab_orders: usize,
}

impl<'a> Queue<'a> {
    fn new(filling: &'a Filling<'a>) -> Self {
        Queue {
            db: filling.db,
            today: Date(filling.calendar.today),
            seed: filling.seed,
            staffing: &filling.staffing,
            people: &filling.people,
            called: HashSet::new(),
            prescribed: 0,
            lab_orders: 0,
        }
    }

    /// Puts each doctor in their room, checks in the morning's patients, adds walk-ins, and has the doctors
    /// call, see and miss patients as [`TODAY`] says. Returns a student still waiting at the first doctor's.
    async fn run(mut self, bookings: &[TodayBooking], ledger: &mut Ledger) -> anyhow::Result<Option<usize>> {
        let mut rng = model::rng(self.seed, Stream::Queue);
        let doctors = self.staffing.doctors.clone();
        for doctor in &doctors {
            let actor = doctor.person.as_staff();
            queue::assign_room(self.db, &actor, self.today, doctor.person.id, doctor.room_id).await?;
        }
        let mut first_doctors_tickets = Vec::new();
        for (index, (doctor, day)) in doctors.iter().zip(TODAY).enumerate() {
            let tickets = self
                .check_in(&mut rng, ledger, index, doctor, day.checked_in, bookings)
                .await?;
            if index == 0 {
                first_doctors_tickets = tickets;
            }
        }
        for arrival in EARLY_WALK_INS {
            self.walk_in(&mut rng, ledger, arrival).await?;
        }
        for (doctor, day) in doctors.iter().zip(TODAY) {
            self.see_patients(doctor, day).await?;
        }
        for arrival in LATE_WALK_INS {
            self.walk_in(&mut rng, ledger, arrival).await?;
        }
        Ok(first_doctors_tickets
            .into_iter()
            .find(|(ticket, _)| !self.called.contains(ticket))
            .map(|(_, patient)| patient))
    }

    /// Checks in the doctor's first `count` bookings of today; a doctor with fewer (on a day off, a weekend)
    /// gets walk-ins instead. Returns the tickets with their patient's index.
    async fn check_in(
        &mut self,
        rng: &mut StdRng,
        ledger: &mut Ledger,
        index: usize,
        doctor: &Doctor,
        count: usize,
        bookings: &[TodayBooking],
    ) -> anyhow::Result<Vec<(i64, usize)>> {
        let reception = &self.staffing.reception;
        let mine: Vec<&TodayBooking> = bookings
            .iter()
            .filter(|b| b.doctor_id == doctor.person.id)
            .take(count)
            .collect();
        let mut tickets = Vec::new();
        for booking in &mine {
            let issued = queue::check_in(
                self.db,
                &reception.as_staff(),
                reception.id,
                booking.appointment_id,
                Priority::Normal,
                self.today,
            )
            .await?;
            let patient = self.people.iter().position(|p| p.id == issued.patient_id);
            tickets.extend(patient.map(|p| (issued.id, p)));
        }
        for _ in mine.len()..count {
            let arrival = WalkIn {
                doctor: Some(index),
                priority: Priority::Normal,
                new_patient: false,
            };
            tickets.extend(self.walk_in(rng, ledger, arrival).await?);
        }
        Ok(tickets)
    }

    /// Adds a walk-in; returns the ticket and the patient's index (none for a patient registered at the desk).
    async fn walk_in(
        &mut self,
        rng: &mut StdRng,
        ledger: &mut Ledger,
        arrival: WalkIn,
    ) -> anyhow::Result<Option<(i64, usize)>> {
        let (patient, index) = if arrival.new_patient {
            let (first, surname, phone) = model::VISITOR;
            let details = PatientDetails {
                phone: Some(phone.to_owned()),
                ..PatientDetails::new(PatientKind::Visitor, first.to_owned(), surname.to_owned())
            };
            (WalkInPatient::New(Box::new(details)), None)
        } else {
            let index = ledger
                .draw(rng, self.today.0)
                .context("no student is free to walk in today")?;
            (WalkInPatient::Existing(self.people[index].id), Some(index))
        };
        let doctor_id = arrival
            .doctor
            .and_then(|i| self.staffing.doctors.get(i))
            .map(|d| d.person.id);
        let reception = &self.staffing.reception;
        let issued = queue::walk_in(
            self.db,
            &reception.as_staff(),
            reception.id,
            patient,
            doctor_id,
            arrival.priority,
            self.today,
        )
        .await?;
        Ok(index.map(|index| (issued.id, index)))
    }

    /// The doctor's morning so far: consultations completed, patients who did not come, and the last call.
    async fn see_patients(&mut self, doctor: &Doctor, day: model::DoctorDay) -> anyhow::Result<()> {
        for _ in 0..day.completed {
            if let Some(call) = self.call_next(doctor).await? {
                let visit = self.start(doctor, &call).await?;
                pharmacy::prescribe(self.db, &doctor.person, visit, self.prescribed, self.today).await?;
                if self.prescribed.is_multiple_of(3) {
                    self.sick_note(doctor, visit).await?;
                }
                self.prescribed += 1;
                self.make(doctor, &call, Move::Complete).await?;
            }
        }
        for _ in 0..day.no_shows {
            if let Some(call) = self.call_next(doctor).await? {
                self.make(doctor, &call, Move::NoShow).await?;
            }
        }
        match day.last {
            LastCall::Consulting => {
                if let Some(call) = self.call_next(doctor).await? {
                    let visit = self.start(doctor, &call).await?;
                    // The first doctor's patient has given their samples; the others' wait for the lab.
                    let sampled = self.lab_orders == 0;
                    lab::order_today(self.db, &doctor.person, &self.staffing.lab, visit, sampled).await?;
                    self.lab_orders += 1;
                }
            }
            LastCall::Called => {
                self.call_next(doctor).await?;
            }
            LastCall::None => {}
        }
        Ok(())
    }

    async fn call_next(&mut self, doctor: &Doctor) -> anyhow::Result<Option<Call>> {
        let actor = doctor.person.as_staff();
        let call = queue::call_next(self.db, &actor, doctor.person.id, self.today, None).await?;
        if let Some(call) = &call {
            self.called.insert(call.ticket_id);
        }
        Ok(call)
    }

    /// Starts a called patient's consultation as the doctor does; the visit's id.
    async fn start(&self, doctor: &Doctor, call: &Call) -> anyhow::Result<i64> {
        let user = doctor.person.as_user(Role::Doctor);
        let started =
            consult::start_ticket(self.db, &user, &doctor.person.as_staff(), call.ticket_id, self.today).await?;
        Ok(started.visit_id)
    }

    /// Two days' rest, from today, as the doctor writes it in the visit.
    async fn sick_note(&self, doctor: &Doctor, visit: i64) -> anyhow::Result<()> {
        let user = doctor.person.as_user(Role::Doctor);
        let fields = crate::letters::model::LetterFields {
            kind: crate::letters::model::LetterKind::SickNote.as_str().to_owned(),
            body: "Seen at the clinic today and treated. Unfit for lectures, practicals and examinations on the \
                   days above."
                .to_owned(),
            rest_from: self.today.to_string(),
            rest_to: Date(Date::add_days(self.today.0, 1)).to_string(),
            ..Default::default()
        };
        crate::letters::service::issue(self.db, &user, &doctor.person.as_staff(), visit, &fields).await?;
        Ok(())
    }

    /// Completes a called patient's consultation as the doctor does (through the visit), or makes another move.
    async fn make(&self, doctor: &Doctor, call: &Call, mv: Move) -> anyhow::Result<()> {
        let actor = doctor.person.as_staff();
        let user = doctor.person.as_user(Role::Doctor);
        match mv {
            Move::Complete => {
                consult::complete_ticket(self.db, &user, &actor, call.ticket_id).await?;
            }
            _ => {
                let request = MoveRequest {
                    ticket_id: call.ticket_id,
                    mv,
                    scope: crate::identity::DoctorScope::Own(doctor.person.id),
                    transfer_to: None,
                    priority: None,
                    skip_places: 0,
                };
                queue::move_ticket(self.db, &actor, &request).await?;
            }
        }
        Ok(())
    }
}

// ---- what to print ------------------------------------------------------------------------------------------

/// Every staff login, and three students: one waiting in today's queue, one with bookings ahead, one who owes
/// on an invoice.
fn logins(
    students: &[Student],
    waiting: Option<usize>,
    ahead: &[AheadBooking],
    payers: &[usize],
    staffing: &Staffing,
) -> Vec<Login> {
    let mut logins: Vec<Login> = STAFF
        .iter()
        .map(|s| Login {
            login: s.username.to_owned(),
            role: s.role.label().to_owned(),
            try_this: s.try_this.to_owned(),
        })
        .collect();
    logins.extend(staffing.doctors.iter().map(|d| Login {
        login: d.person.label.clone(),
        role: Role::Doctor.label().to_owned(),
        try_this: format!("{}: call next (/queue/doctor), day and week (/schedule)", d.room_name),
    }));
    let student = |index: usize, try_this: &str| Login {
        login: students[index].matric.clone(),
        role: "Student".to_owned(),
        try_this: try_this.to_owned(),
    };
    if let Some(index) = waiting {
        logins.push(student(
            index,
            "on a phone: place in today's queue (/me/queue), clinic card",
        ));
    }
    let booking = ahead.iter().find(|b| Some(b.patient) != waiting).map(|b| b.patient);
    if let Some(index) = booking {
        logins.push(student(
            index,
            "on a phone: appointments to move or cancel (/me/appointments)",
        ));
    }
    if let Some(index) = payers
        .iter()
        .copied()
        .find(|p| Some(*p) != waiting && Some(*p) != booking)
    {
        logins.push(student(
            index,
            "on a phone: invoices, what is owed and receipts (/me/invoices)",
        ));
    }
    logins
}

impl Demo {
    /// What `sickbay demo` prints: what was made, the logins, and how to serve it.
    pub fn report(&self, database_url: &str, took: Duration) -> String {
        let c = &self.counts;
        let serve = if database_url == crate::db::DEFAULT_DATABASE_URL {
            "sickbay".to_owned()
        } else {
            format!("sickbay --database-url '{}'", redact(database_url))
        };
        format!(
            "Filled {} with a demo clinic in {:.1} s: {} students, {} staff, {} appointments ({} past, {} today, \
             {} ahead), {} tickets in today's queue, {} audit rows.\n\n\
             Billing: {} invoices ({} owed in part or whole), {} payments, {} students under the {} and {} \
             claim lines. At the cashier's desk ({}): visits to bill and invoices owed (/billing), an invoice's \
             payment, receipt, refund and credit note (/billing/invoices/<id>), the day's takings and its close \
             (/billing/day), the scheme's claim for {} ({}); as admin, the fee schedule with prices by category \
             (/admin/fees) and the scheme (/admin/schemes).\n\n\
             Every demo account has the password {PASSWORD} and is not asked to change it. The demo is for \
             trying Sickbay: never put real patients in it.\n\n{}\nServe it:\n  {serve}\nthen open \
             http://127.0.0.1:3000 and log in.\n",
            redact(database_url),
            took.as_secs_f64(),
            c.students,
            c.staff,
            c.past + c.today + c.ahead,
            c.past,
            c.today,
            c.ahead,
            c.tickets_today,
            c.audit,
            c.invoices,
            c.owed,
            c.payments,
            self.billed.members,
            billing::SCHEME,
            c.claim_lines,
            STAFF[RECEPTIONIST].username,
            self.billed.claim_month,
            format_args!(
                "/billing/claims?scheme={}&month={}",
                self.billed.scheme_id, self.billed.claim_month
            ),
            model::logins_table(&self.logins),
        )
    }
}

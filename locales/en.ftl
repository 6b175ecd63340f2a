# needsd's words in English: the fallback for any message another language lacks.
# Layout lives in templates/mail/; every message here is plain text (HTML templates
# escape it). Variables are listed above each group; a translation may use fewer of them,
# never others.

## Dates. Fluent has no date function: each language writes its own.
# month-N: the month as it stands in a date ("15 December 2026"); month-name-N: alone
# ("December 2026").
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
month-name-1 = { month-1 }
month-name-2 = { month-2 }
month-name-3 = { month-3 }
month-name-4 = { month-4 }
month-name-5 = { month-5 }
month-name-6 = { month-6 }
month-name-7 = { month-7 }
month-name-8 = { month-8 }
month-name-9 = { month-9 }
month-name-10 = { month-10 }
month-name-11 = { month-11 }
month-name-12 = { month-12 }
# $day, $month (month-N), $monthnum, $year
date = { $day } { $month } { $year }
# $day, $month (month-N), $monthnum: a date within the year ("15 December")
day-month = { $day } { $month }
# $month (month-name-N), $monthnum, $year
month-year = { $month } { $year }
# $date, $time, $zone (a city: "New York")
date-time = { $date }, { $time } ({ $zone } time)

## What every respondent's mail shares.
# $name
greeting = Dear { $name },
signature-1 = Matrix of Needs
signature-2 = Counter-Terrorism Committee
# $reference
reference = Reference: { $reference }
# $address
replies-reach = Replies to this message reach the team at { $address }.

## The workbook's own words, as the mail quotes them: the recipient's copy is in the
## same language, but for its sheet names.
workbook-need-id = { header-need-id }
workbook-status = { header-status }
workbook-withdrawn = { status-withdrawn }
workbook-yes = { answer-yes }
workbook-no-changes = { about-no-changes }
workbook-about = About

## Circulation. $month_year, $deadline (date-time), $deadline_date (date), $party,
## $count (needs of the party; absent for an organization)
circulation-subject = Please review and reply by { $deadline_date }
circulation-intro = Attached is the Counter-Terrorism Committee's Matrix of Needs as circulated for { $month_year }.
circulation-count = It lists { $count ->
        [one] { $count } need
       *[other] { $count } needs
    } of { $party }.
circulation-ask = Please review it and reply to this email with the file attached by { $deadline }:
circulation-edit = to change a need, edit its row;
circulation-add = to add a need, fill an empty row and leave { workbook-need-id } blank;
circulation-withdraw = to withdraw a need, set its { workbook-status } to { workbook-withdrawn }.
circulation-no-changes = If nothing needs to change this month, choose "{ workbook-yes }" beside "{ workbook-no-changes }" on the { workbook-about } sheet and reply with the file.
circulation-programs = Any spreadsheet program will do: Excel, LibreOffice or Numbers, saved as xlsx, ods or csv. Please leave the { workbook-need-id } column as it is; it is how your changes are matched. The expert team reviews every change before it enters the matrix.

## Reminder and the deadline's last day. $month_year, $deadline, $deadline_date,
## $deadline_day (date without the year), $time, $zone, $party
reminder-subject = Reminder: please reply by { $deadline_day }
reminder-subject-final = Today is the deadline
reminder-final = Today, { $deadline_date }, is the last day to send the Matrix of Needs for { $month_year }: replies received by { $time } ({ $zone } time) enter this month's review.
reminder-body = We have not yet received { $party }'s reply to the Matrix of Needs circulated for { $month_year }. Please reply by { $deadline }.
reminder-attached = Your copy is attached again. Reply to this email with the file attached, edited where needs have changed. If nothing needs to change, choose "{ workbook-yes }" beside "{ workbook-no-changes }" on the { workbook-about } sheet and reply with the file, or simply reply "no changes".
reminder-disregard = If someone else has already answered for { $party }, please disregard this message.

## Receipt of a reply. $party, $cycle, $count, $deadline
receipt-subject = Received: { $status ->
        [quarantined] awaiting confirmation
        [pending] { $count ->
            [one] { $count } change awaiting review
           *[other] { $count } changes awaiting review
        }
        [no-changes] no changes
       *[check] please check the rows marked
    }
receipt-thanks = Thank you: needsd received your reply for { $party } ({ $cycle }).
receipt-thanks-late = Thank you: needsd received your reply for { $party } ({ $cycle }) after the deadline; it will still be reviewed.
receipt-quarantined = Your message was not sent from an address listed for { $party }, so it waits for the expert team to confirm it before anything in it is considered.
# $verdict, $count
receipt-verdict = { $verdict ->
        [no-changes] no changes
        [unreadable] could not be read
        [quarantined] awaits confirmation of the sender
       *[pending] { $count ->
            [one] { $count } change awaiting review
           *[other] { $count } changes awaiting review
        }
    }
# $file (an attachment's name, or receipt-your-message), $verdict (receipt-verdict)
receipt-item = { $file }: { $verdict }
receipt-your-message = Your message
receipt-review = Changes await review by the expert team; the next circulation carries what they approve.
receipt-errors-text = The rows marked "!" were not understood: correct them and reply again with the file before { $deadline }; your latest reply replaces the earlier one.
receipt-errors-html = The rows in red were not understood: correct them and reply again with the file before { $deadline }; your latest reply replaces the earlier one.

## One proposed change, as receipts and decisions list it. $kind, $id, $field, $from,
## $to, $party, $title, $created
change = { $kind ->
        [withdraw] { $id } withdrawn
        [add-need] new need for { $party }: { $title }
        [add-programme] new programme of { $party }: { $title }
        [created] new programme of { $party }: { $title } (now { $created })
       *[update] { $id } { $field }: { $from } → { $to }
    }
# $current
change-conflict = changed meanwhile to { $current }; the experts will decide
value-empty = (empty)
# $row, $column, $message
row-error = row { $row }: { $message }
row-error-column = row { $row }, { $column }: { $message }

## The columns a change names.
column-need-state = State
column-need-area = Area
column-need-description = Need
column-need-priority = Priority
column-need-status = Status
column-need-provider = Assistance provider
column-need-notes = Notes
column-programme-provider = Provider
column-programme-title = Title
column-programme-kind = Kind
column-programme-areas = Areas
column-programme-eligible = Eligible
column-programme-languages = Languages
column-programme-contact = Contact
column-programme-link = Link
column-programme-status = Status
column-programme-updated = Last updated

## The experts' decision. $party, $cycle, $subject, $approved, $rejected, $reason
decision-subject = Decided: { $approved ->
        [0] { $rejected } not accepted
       *[other] { $approved } approved{ $rejected ->
            [0] {""}
           *[other] , { $rejected } not accepted
        }
    }
decision-intro = The expert team has reviewed the reply you sent for { $party } ({ $cycle }).
decision-intro-subject = The expert team has reviewed the reply you sent for { $party } ({ $cycle }), "{ $subject }".
decision-approved = Approved; the next circulation of the Matrix carries these:
decision-rejected = Not accepted:
decision-reason = reason: { $reason }
decision-correct = If something here is not what you meant, reply to this message with the corrected workbook.

## The experts' digest. $cycle, $deadline, $answered, $parties, $submissions, $changes,
## $conflicts, $count
digest-subject = Digest: { $answered } of { $parties } answered, { $submissions } awaiting review
digest-intro = Matrix of Needs { $cycle }: where collection stands after the deadline ({ $deadline }).
digest-answered = Answered: { $answered } of { $parties } parties.
digest-awaiting = Awaiting review: { $submissions ->
        [one] { $submissions } submission
       *[other] { $submissions } submissions
    } ({ $changes ->
        [one] { $changes } change
       *[other] { $changes } changes
    }, { $conflicts } in conflict with a later change).
digest-quarantined = Waiting in quarantine (sender not verified): { $count }.
digest-unparseable = Could not be read: { $count }.
digest-late = Late replies: { $count }.
digest-silent = Not answered ({ $count }):
digest-bouncing = Contacts whose mail bounces ({ $count }):
digest-unmet = Needs nobody has offered to meet ({ $count }):
# $need, $state, $area, $what, $cycles, $who (one of the two below)
digest-unmet-need = { $need } ({ $state }, { $area }) { $what }: open with no provider for { $cycles } circulations; { $who }
digest-unmet-none = no programme in the directory covers it
# $candidates (programmes, joined by "; ")
digest-unmet-candidates = could be met by { $candidates }
digest-undecided = Changes not decided before the next circulation stay out of it.

## Two days before the next circulation. $count, $next (date)
review-alert-subject = { $count ->
        [one] { $count } submission awaits
       *[other] { $count } submissions await
    } review before the circulation of { $next }
review-alert-body = { $count ->
        [one] { $count } submission still awaits
       *[other] { $count } submissions still await
    } a decision. The next circulation goes out on { $next }; changes not approved by then stay out of it.
review-alert-parties = Awaiting review, by party:

## A one-off deadline's alert to its owner. $title, $days, $due (date)
deadline-subject = { $days ->
        [0] Due today
        [1] Due tomorrow
       *[other] Due in { $days } days
    }: { $title }
deadline-body = { $days ->
        [0] This is due today, { $due }.
        [1] This is due tomorrow, { $due }.
       *[other] This is due in { $days } days, on { $due }.
    }
deadline-owner = You receive this because you are its owner in needsd (needsd deadline list).

## The confirmation that a contact stopped receiving the Matrix. $party, $address
unsubscribed-subject = You will no longer receive the Matrix of Needs
unsubscribed-body = As you asked, the Matrix of Needs is no longer sent to { $address } for { $party }.
# $address: where to write
unsubscribed-again = To receive it again, write "subscribe" to { $address }.

## The page an unsubscribe link opens. $address
unsubscribe-page-title = Stop receiving the Matrix of Needs
unsubscribe-page-ask = Stop sending the monthly Matrix of Needs to { $address }?
unsubscribe-page-button = Stop receiving it
unsubscribe-page-done = The Matrix of Needs is no longer sent to { $address }. A confirmation is on its way.
unsubscribe-page-already = The Matrix of Needs is not sent to { $address }.

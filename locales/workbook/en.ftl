# The workbook's words in English: its headers, the values of its drop-down lists and the
# areas' names. The reader accepts each of them in all six languages, in any copy, so
# two values of one list, or two headers of one sheet, may never be spelled alike.

## The Matrix sheet's headers.
header-need-id = Need ID
header-state = State
header-area = Area
header-description = Need
header-priority = Priority
header-status = Status
header-provider = Assistance provider
header-notes = Notes
header-updated = Last updated

## Priorities.
priority-high = High
priority-medium = Medium
priority-low = Low

## Statuses of a need.
status-open = Open
status-assistance-offered = Assistance offered
status-in-progress = In progress
status-met = Met
status-withdrawn = Withdrawn

## The default areas of assistance (the CTC's headings), by code.
area-LEG = Legislative drafting
area-FIN = Financial law and practice
area-CUS = Customs law and practice
area-IMM = Immigration law and practice
area-EXT = Extradition and mutual legal assistance
area-POL = Police and law enforcement
area-ARM = Illegal arms trafficking
area-OTH = Other

## Answers.
answer-yes = Yes
answer-no = No

## The About sheet.
about-title = Matrix of Needs
about-what-label = What this is
about-what = The Counter-Terrorism Committee's prioritized Matrix of Needs: each State's counter-terrorism assistance needs, with their relative priority, status and assisting organization.
about-cycle = Cycle
about-recipient = Recipient
about-reply-by = Reply by
about-how-label = How to reply
# $address
about-how = Edit the Matrix sheet and reply to the email with this file attached (or send it to { $address }). Change a need in its row; add a new need in an empty row, leaving { header-need-id } blank; to withdraw a need set its { header-status } to { status-withdrawn } (deleting or filtering rows changes nothing). Keep the file name and format (xlsx, ods or csv are all read).
about-reference = Reference
about-as-of = As of
about-no-changes = No changes this month
about-no-changes-title = No changes?
about-no-changes-help = Choose { answer-yes } if nothing in the matrix needs to change for you this month, then reply with this file.

## The Lists sheet's headers.
lists-state = State
lists-state-name = State name
lists-area = Area
lists-area-name = Area name

## The Programmes sheet's headers (a provider's copy); the ID column is "id".
programme-header-id = Programme ID
programme-header-provider = Provider
programme-header-title = Title
programme-header-kind = Kind
programme-header-areas = Areas
programme-header-eligible = Eligible
programme-header-languages = Languages
programme-header-contact = Contact
programme-header-link = Link
programme-header-status = Status
programme-header-updated = { header-updated }

## The "Needs you could meet" sheet's headers: the Matrix's, and the provider's programmes.
offer-header-id = { header-need-id }
offer-header-state = { header-state }
offer-header-area = { header-area }
offer-header-description = { header-description }
offer-header-priority = { header-priority }
offer-header-status = { header-status }
offer-header-provider = { header-provider }
offer-header-notes = { header-notes }
offer-header-programmes = Your programmes
offer-header-updated = { header-updated }

## The message a drop-down cell shows when a typed value is not in its list.
# $choices: the list, joined by ", "
validation-list = Choose a value from the drop-down list (see the Lists sheet).
validation-choose = Choose one from the list: { $choices }

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

# needsd's words in Simplified Chinese (UN usage). A message missing here falls back to
# en.ftl. Layout lives in templates/mail/; every message here is plain text (HTML
# templates escape it). Variables are listed above each group; a translation may use
# fewer of them, never others. Chinese has a single plural category (other).

## Dates. Fluent has no date function: each language writes its own.
# month-N: the month as it stands in a date ("2026年12月15日"); month-name-N: alone
# ("2026年12月"). Written "12月" so that date and month-year need only $month (the
# English messages do not use $monthnum, so a translation may not either).
month-1 = 1月
month-2 = 2月
month-3 = 3月
month-4 = 4月
month-5 = 5月
month-6 = 6月
month-7 = 7月
month-8 = 8月
month-9 = 9月
month-10 = 10月
month-11 = 11月
month-12 = 12月
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
date = { $year }年{ $month }{ $day }日
# $day, $month (month-N), $monthnum: a date within the year ("12月15日")
day-month = { $month }{ $day }日
# $month (month-name-N), $monthnum, $year
month-year = { $year }年{ $month }
# $date, $time, $zone (a city: "New York")
date-time = { $date }{ $time }（{ $zone }时间）

## What every respondent's mail shares.
# $name
greeting = 尊敬的{ $name }：
signature-1 = 需求矩阵
signature-2 = 反恐怖主义委员会
# $reference
reference = 编号：{ $reference }
# $address
replies-reach = 对本邮件的回复将发送至工作组，地址为{ $address }。

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
circulation-subject = 请审阅并于{ $deadline_date }前回复
circulation-intro = 随函附上反恐怖主义委员会{ $month_year }分发的需求矩阵。
circulation-count = 其中列有{ $party }的{ $count }项需求。
circulation-ask = 请审阅该矩阵，并于{ $deadline }前回复本邮件，附上该文件：
circulation-edit = 如需修改某项需求，请编辑其所在行；
circulation-add = 如需新增需求，请填写一个空行，并将“{ workbook-need-id }”一栏留空；
circulation-withdraw = 如需撤回某项需求，请将其“{ workbook-status }”设为“{ workbook-withdrawn }”。
circulation-no-changes = 如本月无需作任何修改，请在“{ workbook-about }”工作表上“{ workbook-no-changes }”一项旁选择“{ workbook-yes }”，并回复本邮件，附上该文件。
circulation-programs = 可使用任何电子表格程序，如Excel、LibreOffice或Numbers，保存为xlsx、ods或csv格式均可。请勿改动“{ workbook-need-id }”一栏，您所作的修改将据此进行匹配。每项修改均须经专家组审查后方可列入矩阵。

## Reminder and the deadline's last day. $month_year, $deadline, $deadline_date,
## $deadline_day (date without the year), $time, $zone, $party
reminder-subject = 提醒：请于{ $deadline_day }前回复
reminder-subject-final = 今天是截止日期
reminder-final = 今天（{ $deadline_date }）是提交{ $month_year }需求矩阵的最后一天：在{ $zone }时间{ $time }之前收到的回复将纳入本月的审查。
reminder-body = 我们尚未收到{ $party }对{ $month_year }分发的需求矩阵的回复。请于{ $deadline }前回复。
reminder-attached = 现再次附上贵方的文件副本。请回复本邮件并附上该文件，在需求有变化之处作相应编辑。如无需作任何修改，请在“{ workbook-about }”工作表上“{ workbook-no-changes }”一项旁选择“{ workbook-yes }”，并回复本邮件，附上该文件；也可直接回复“无变化”。
reminder-disregard = 如已有他人代表{ $party }作出答复，请忽略本邮件。

## Receipt of a reply. $party, $cycle, $count, $deadline
receipt-subject = 已收到：{ $status ->
        [quarantined] 待确认
        [pending] { $count }项修改待审查
        [no-changes] 无修改
       *[check] 请检查标出的行
    }
receipt-thanks = 谢谢：needsd已收到您代表{ $party }发送的回复（{ $cycle }）。
receipt-thanks-late = 谢谢：needsd已收到您代表{ $party }发送的回复（{ $cycle }）。该回复在截止日期之后收到，但仍将予以审查。
receipt-quarantined = 您的邮件并非从{ $party }登记的地址发出，因此须待专家组确认后，方会考虑其中的任何内容。
# $verdict, $count
receipt-verdict = { $verdict ->
        [no-changes] 无修改
        [unreadable] 无法读取
        [quarantined] 发件人待确认
       *[pending] { $count }项修改待审查
    }
# $file (an attachment's name, or receipt-your-message), $verdict (receipt-verdict)
receipt-item = { $file }：{ $verdict }
receipt-your-message = 您的邮件
receipt-review = 各项修改须经专家组审查；经其核准的内容将列入下一次分发的矩阵。
receipt-errors-text = 标有“!”的行无法识别：请予以更正，并于{ $deadline }前再次回复并附上该文件；您最近一次的回复将取代此前的回复。
receipt-errors-html = 以红色标出的行无法识别：请予以更正，并于{ $deadline }前再次回复并附上该文件；您最近一次的回复将取代此前的回复。

## One proposed change, as receipts and decisions list it. $kind, $id, $field, $from,
## $to, $party, $title, $created
change = { $kind ->
        [withdraw] { $id }已撤回
        [add-need] { $party }的新需求：{ $title }
        [add-programme] { $party }的新方案：{ $title }
        [created] { $party }的新方案：{ $title }（现编号为{ $created }）
       *[update] { $id } { $field }：{ $from } → { $to }
    }
# $current
change-conflict = 其间已改为{ $current }；将由专家决定
value-empty = （空）
# $row, $column, $message
row-error = 第{ $row }行：{ $message }
row-error-column = 第{ $row }行，{ $column }：{ $message }

## The columns a change names.
column-need-state = 国家
column-need-area = 领域
column-need-description = 需求
column-need-priority = 优先级
column-need-status = 状态
column-need-provider = 援助提供方
column-need-notes = 备注
column-programme-provider = 提供方
column-programme-title = 名称
column-programme-kind = 类型
column-programme-areas = 领域
column-programme-eligible = 适用对象
column-programme-languages = 语言
column-programme-contact = 联系方式
column-programme-link = 链接
column-programme-status = 状态
column-programme-updated = 最后更新

## The experts' decision. $party, $cycle, $subject, $approved, $rejected, $reason
decision-subject = 审查决定：{ $approved ->
        [0] { $rejected }项未予接受
       *[other] { $approved }项已核准{ $rejected ->
            [0] {""}
           *[other] ，{ $rejected }项未予接受
        }
    }
decision-intro = 专家组已审查您代表{ $party }发送的回复（{ $cycle }）。
decision-intro-subject = 专家组已审查您代表{ $party }发送的回复（{ $cycle }），主题为“{ $subject }”。
decision-approved = 已核准；下一次分发的矩阵将列入以下内容：
decision-rejected = 未予接受：
decision-reason = 理由：{ $reason }
decision-correct = 如以上内容有不符合您本意之处，请回复本邮件，并附上更正后的工作簿。

## The experts' digest. $cycle, $deadline, $answered, $parties, $submissions, $changes,
## $conflicts, $count
digest-subject = 摘要：{ $parties }方中已有{ $answered }方答复，{ $submissions }份提交待审查
digest-intro = 需求矩阵{ $cycle }：截止日期（{ $deadline }）过后的收集情况。
digest-answered = 已答复：{ $parties }方中的{ $answered }方。
digest-awaiting = 待审查：{ $submissions }份提交（{ $changes }项修改，其中{ $conflicts }项与之后的修改相冲突）。
digest-quarantined = 隔离待核（发件人未经核实）：{ $count }。
digest-unparseable = 无法读取：{ $count }。
digest-late = 逾期回复：{ $count }。
digest-silent = 未答复（{ $count }）：
digest-bouncing = 邮件被退回的联系人（{ $count }）：
digest-unmet = 无人表示愿意满足的需求（{ $count }）：
# $need, $state, $area, $what, $cycles, $who (one of the two below)
digest-unmet-need = { $need }（{ $state }，{ $area }）{ $what }：已连续{ $cycles }次分发仍无提供方；{ $who }
digest-unmet-none = 名录中没有任何方案涵盖该需求
# $candidates (programmes, joined by "; ")
digest-unmet-candidates = 可由以下方案满足：{ $candidates }
digest-undecided = 在下一次分发之前未作决定的修改将不列入该次分发。

## Two days before the next circulation. $count, $next (date)
review-alert-subject = { $next }分发前尚有{ $count }份提交待审查
review-alert-body = 尚有{ $count }份提交待决定。下一次分发将于{ $next }发出；届时仍未核准的修改将不列入该次分发。
review-alert-parties = 待审查提交，按提交方分列：

## A one-off deadline's alert to its owner. $title, $days, $due (date)
deadline-subject = { $days ->
        [0] 今天到期
        [1] 明天到期
       *[other] { $days }天后到期
    }：{ $title }
deadline-body = { $days ->
        [0] 此事项今天（{ $due }）到期。
        [1] 此事项明天（{ $due }）到期。
       *[other] 此事项将于{ $days }天后，即{ $due }到期。
    }
deadline-owner = 您收到此邮件，是因为您是该事项在needsd中的负责人（needsd deadline list）。

## 联系人不再接收矩阵的确认。
unsubscribed-subject = 您将不再收到需求矩阵
unsubscribed-body = 根据您的要求，需求矩阵将不再发送至 { $address }（{ $party }）。
unsubscribed-again = 如需再次接收，请发送“subscribe”至 { $address }。

## 退订链接打开的页面。
unsubscribe-page-title = 不再接收需求矩阵
unsubscribe-page-ask = 是否不再向 { $address } 发送每月的需求矩阵？
unsubscribe-page-button = 不再接收
unsubscribe-page-done = 需求矩阵将不再发送至 { $address }。确认邮件已发出。
unsubscribe-page-already = 需求矩阵未发送至 { $address }。

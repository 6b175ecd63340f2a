# needsd's words in Arabic (Modern Standard, UN usage). A message missing here falls
# back to en.ftl. Layout lives in templates/mail/; every message here is plain text (HTML
# templates escape it). Variables are listed above each group; a translation may use
# fewer of them, never others. Plurals follow CLDR: zero, one, two, few (3-10),
# many (11-99), other (100-102...).

## Dates. Fluent has no date function: each language writes its own.
# month-N: the month as it stands in a date ("15 ديسمبر 2026"); month-name-N: alone
# ("ديسمبر 2026"). Digits are Western, as Fluent prints them.
month-1 = يناير
month-2 = فبراير
month-3 = مارس
month-4 = أبريل
month-5 = مايو
month-6 = يونيو
month-7 = يوليو
month-8 = أغسطس
month-9 = سبتمبر
month-10 = أكتوبر
month-11 = نوفمبر
month-12 = ديسمبر
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
# $day, $month (month-N), $monthnum: a date within the year ("15 ديسمبر")
day-month = { $day } { $month }
# $month (month-name-N), $monthnum, $year
month-year = { $month } { $year }
# $date, $time, $zone (a city: "New York")
date-time = { $date }، الساعة { $time } (بتوقيت { $zone })

## What every respondent's mail shares.
# $name
greeting = السيد/السيدة { $name }،
signature-1 = مصفوفة الاحتياجات
signature-2 = لجنة مكافحة الإرهاب
# $reference
reference = المرجع: { $reference }
# $address
replies-reach = تصل الردود على هذه الرسالة إلى الفريق على العنوان { $address }.

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
circulation-subject = يُرجى الاطلاع والرد في موعد أقصاه { $deadline_date }
circulation-intro = مرفق طيه مصفوفة الاحتياجات الخاصة بلجنة مكافحة الإرهاب بصيغتها المعممة لشهر { $month_year }.
circulation-count = { $count ->
        [zero] ولا تتضمن المصفوفة أي احتياجات تخص { $party }.
        [one] وتتضمن المصفوفة حاجة واحدة تخص { $party }.
        [two] وتتضمن المصفوفة حاجتين تخصان { $party }.
        [few] وتتضمن المصفوفة { $count } احتياجات تخص { $party }.
        [many] وتتضمن المصفوفة { $count } حاجةً تخص { $party }.
       *[other] وتتضمن المصفوفة { $count } حاجة تخص { $party }.
    }
circulation-ask = يُرجى الاطلاع عليها والرد على هذه الرسالة مع إرفاق الملف في موعد أقصاه { $deadline }:
circulation-edit = لتعديل حاجة ما، يُرجى تعديل الصف الخاص بها؛
circulation-add = لإضافة حاجة جديدة، يُرجى ملء صف فارغ وترك عمود "{ workbook-need-id }" فارغًا؛
circulation-withdraw = لسحب حاجة ما، يُرجى تغيير قيمة "{ workbook-status }" الخاصة بها إلى "{ workbook-withdrawn }".
circulation-no-changes = وإذا لم يلزم إجراء أي تغيير هذا الشهر، يُرجى اختيار "{ workbook-yes }" بجانب "{ workbook-no-changes }" في ورقة "{ workbook-about }" والرد مع إرفاق الملف.
circulation-programs = ويمكن استخدام أي برنامج لجداول البيانات، مثل Excel أو LibreOffice أو Numbers، مع حفظ الملف بصيغة xlsx أو ods أو csv. ويُرجى عدم تغيير عمود "{ workbook-need-id }"، إذ يُستند إليه في مطابقة التغييرات التي تجرونها. ويستعرض فريق الخبراء كل تغيير قبل إدراجه في المصفوفة.

## Reminder and the deadline's last day. $month_year, $deadline, $deadline_date,
## $deadline_day (date without the year), $time, $zone, $party
reminder-subject = تذكير: يُرجى الرد في موعد أقصاه { $deadline_day }
reminder-subject-final = اليوم هو الموعد النهائي
reminder-final = اليوم، { $deadline_date }، هو آخر يوم لإرسال مصفوفة الاحتياجات لشهر { $month_year }: والردود التي ترد حتى الساعة { $time } (بتوقيت { $zone }) تُدرج في استعراض هذا الشهر.
reminder-body = لم نتلقَّ بعدُ رد { $party } على مصفوفة الاحتياجات المعممة لشهر { $month_year }. يُرجى الرد في موعد أقصاه { $deadline }.
reminder-attached = نرفق طيه نسختكم مرة أخرى. يُرجى الرد على هذه الرسالة مع إرفاق الملف، بعد تعديله حيثما تغيرت الاحتياجات. وإذا لم يلزم إجراء أي تغيير، يُرجى اختيار "{ workbook-yes }" بجانب "{ workbook-no-changes }" في ورقة "{ workbook-about }" والرد مع إرفاق الملف، أو الاكتفاء بالرد بعبارة "لا تغييرات".
reminder-disregard = وإذا كان شخص آخر قد ردّ بالفعل باسم { $party }، يُرجى تجاهل هذه الرسالة.

## Receipt of a reply. $party, $cycle, $count, $deadline
receipt-subject = تم الاستلام: { $status ->
        [quarantined] في انتظار التأكيد
        [pending] { $count ->
            [zero] لا توجد تغييرات في انتظار الاستعراض
            [one] تغيير واحد في انتظار الاستعراض
            [two] تغييران في انتظار الاستعراض
            [few] { $count } تغييرات في انتظار الاستعراض
            [many] { $count } تغييرًا في انتظار الاستعراض
           *[other] { $count } تغيير في انتظار الاستعراض
        }
        [no-changes] لا تغييرات
       *[check] يُرجى مراجعة الصفوف المشار إليها
    }
receipt-thanks = شكرًا لكم: تلقى نظام needsd ردكم المقدم باسم { $party } ({ $cycle }).
receipt-thanks-late = شكرًا لكم: تلقى نظام needsd ردكم المقدم باسم { $party } ({ $cycle }) بعد انقضاء الموعد النهائي؛ وسيُستعرض مع ذلك.
receipt-quarantined = لم تُرسَل رسالتكم من عنوان مدرج ضمن عناوين { $party }، ولذلك ستظل معلقة إلى أن يؤكدها فريق الخبراء، قبل النظر في أي شيء مما ورد فيها.
# $verdict, $count
receipt-verdict = { $verdict ->
        [no-changes] لا تغييرات
        [unreadable] تعذرت القراءة
        [quarantined] في انتظار التأكد من هوية المرسل
       *[pending] { $count ->
            [zero] لا توجد تغييرات في انتظار الاستعراض
            [one] تغيير واحد في انتظار الاستعراض
            [two] تغييران في انتظار الاستعراض
            [few] { $count } تغييرات في انتظار الاستعراض
            [many] { $count } تغييرًا في انتظار الاستعراض
           *[other] { $count } تغيير في انتظار الاستعراض
        }
    }
# $file (an attachment's name, or receipt-your-message), $verdict (receipt-verdict)
receipt-item = { $file }: { $verdict }
receipt-your-message = رسالتكم
receipt-review = تنتظر التغييرات استعراضها من جانب فريق الخبراء؛ وسيتضمن التعميم التالي ما يوافق عليه الفريق.
receipt-errors-text = تعذّر فهم الصفوف المشار إليها بالعلامة "!": يُرجى تصحيحها والرد مجددًا مع إرفاق الملف قبل { $deadline }؛ ويحل أحدث رد منكم محل الرد السابق.
receipt-errors-html = تعذّر فهم الصفوف المبينة باللون الأحمر: يُرجى تصحيحها والرد مجددًا مع إرفاق الملف قبل { $deadline }؛ ويحل أحدث رد منكم محل الرد السابق.

## One proposed change, as receipts and decisions list it. $kind, $id, $field, $from,
## $to, $party, $title, $created
# "من ... إلى ..." rather than an arrow, which would point the wrong way in right-to-left text.
change = { $kind ->
        [withdraw] سحب { $id }
        [add-need] حاجة جديدة تخص { $party }: { $title }
        [add-programme] برنامج جديد مقدم من { $party }: { $title }
        [created] برنامج جديد مقدم من { $party }: { $title } (رقمه الآن { $created })
       *[update] { $id }، { $field }: من { $from } إلى { $to }
    }
# $current
change-conflict = تغيرت القيمة في الأثناء إلى { $current }؛ وسيبت الخبراء في الأمر
value-empty = (فارغ)
# $row, $column, $message
row-error = الصف { $row }: { $message }
row-error-column = الصف { $row }، { $column }: { $message }

## The columns a change names.
column-need-state = الدولة
column-need-area = المجال
column-need-description = الحاجة
column-need-priority = الأولوية
column-need-status = الحالة
column-need-provider = مقدم المساعدة
column-need-notes = ملاحظات
column-programme-provider = الجهة المقدمة
column-programme-title = العنوان
column-programme-kind = النوع
column-programme-areas = المجالات
column-programme-eligible = الجهات المؤهلة
column-programme-languages = اللغات
column-programme-contact = جهة الاتصال
column-programme-link = الرابط
column-programme-status = الحالة
column-programme-updated = آخر تحديث

## The experts' decision. $party, $cycle, $subject, $approved, $rejected, $reason
decision-subject = تم البت: { $approved ->
        [0] لم يُقبل { $rejected }
       *[other] ووفق على { $approved }{ $rejected ->
            [0] {""}
           *[other] ، ولم يُقبل { $rejected }
        }
    }
decision-intro = استعرض فريق الخبراء الرد الذي أرسلتموه باسم { $party } ({ $cycle }).
decision-intro-subject = استعرض فريق الخبراء الرد الذي أرسلتموه باسم { $party } ({ $cycle })، المعنون "{ $subject }".
decision-approved = ووفق على ما يلي، وسيتضمنه التعميم التالي للمصفوفة:
decision-rejected = لم يُقبل ما يلي:
decision-reason = السبب: { $reason }
decision-correct = وإذا كان أي مما ورد أعلاه لا يطابق ما قصدتموه، يُرجى الرد على هذه الرسالة مع إرفاق المصنف بعد تصحيحه.

## The experts' digest. $cycle, $deadline, $answered, $parties, $submissions, $changes,
## $conflicts, $count
digest-subject = موجز: ردّ { $answered } من أصل { $parties }، و{ $submissions } في انتظار الاستعراض
digest-intro = مصفوفة الاحتياجات { $cycle }: حالة جمع الردود بعد انقضاء الموعد النهائي ({ $deadline }).
digest-answered = الجهات التي ردت: { $answered } من أصل { $parties }.
digest-awaiting = في انتظار الاستعراض: { $submissions ->
        [zero] لا توجد ردود
        [one] رد واحد
        [two] ردان
        [few] { $submissions } ردود
        [many] { $submissions } ردًا
       *[other] { $submissions } رد
    } ({ $changes ->
        [zero] لا تغييرات
        [one] تغيير واحد
        [two] تغييران
        [few] { $changes } تغييرات
        [many] { $changes } تغييرًا
       *[other] { $changes } تغيير
    }، يتعارض { $conflicts } منها مع تغيير لاحق).
digest-quarantined = قيد العزل (لم يُتحقق من هوية المرسل): { $count }.
digest-unparseable = تعذرت قراءتها: { $count }.
digest-late = ردود متأخرة: { $count }.
digest-silent = جهات لم ترد ({ $count }):
digest-bouncing = جهات اتصال ترتد الرسائل الموجهة إليها ({ $count }):
digest-unmet = احتياجات لم يعرض أحد تلبيتها ({ $count }):
# $need, $state, $area, $what, $cycles, $who (one of the two below)
digest-unmet-need = { $need } ({ $state }، { $area }) { $what }: ظلت مفتوحة دون جهة مقدمة للمساعدة طوال { $cycles ->
        [zero] أي تعميم
        [one] تعميم واحد
        [two] تعميمين
        [few] { $cycles } تعميمات
        [many] { $cycles } تعميمًا
       *[other] { $cycles } تعميم
    }؛ { $who }
digest-unmet-none = لا يوجد في الدليل أي برنامج يغطيها
# $candidates (programmes, joined by "; ")
digest-unmet-candidates = يمكن تلبيتها عن طريق { $candidates }
digest-undecided = التغييرات التي لا يُبت فيها قبل التعميم التالي لن تُدرج فيه.

## Two days before the next circulation. $count, $next (date)
review-alert-subject = { $count ->
        [zero] لا توجد ردود
        [one] رد واحد
        [two] ردان
        [few] { $count } ردود
        [many] { $count } ردًا
       *[other] { $count } رد
    } في انتظار الاستعراض قبل التعميم المقرر في { $next }
review-alert-body = { $count ->
        [zero] لا توجد ردود في انتظار البت.
        [one] لا يزال هناك رد واحد في انتظار البت.
        [two] لا يزال هناك ردان في انتظار البت.
        [few] لا يزال هناك { $count } ردود في انتظار البت.
        [many] لا يزال هناك { $count } ردًا في انتظار البت.
       *[other] لا يزال هناك { $count } رد في انتظار البت.
    } وسيصدر التعميم التالي في { $next }؛ والتغييرات التي لا يُوافق عليها حتى ذلك الحين لن تُدرج فيه.
review-alert-parties = في انتظار الاستعراض، حسب الجهة:

## A one-off deadline's alert to its owner. $title, $days, $due (date)
deadline-subject = { $days ->
        [0] يحل الموعد اليوم
        [1] يحل الموعد غدًا
        [two] يحل الموعد بعد يومين
        [few] يحل الموعد بعد { $days } أيام
        [many] يحل الموعد بعد { $days } يومًا
       *[other] يحل الموعد بعد { $days } يوم
    }: { $title }
deadline-body = { $days ->
        [0] يحل موعد هذا البند اليوم، { $due }.
        [1] يحل موعد هذا البند غدًا، { $due }.
        [two] يحل موعد هذا البند بعد يومين، في { $due }.
        [few] يحل موعد هذا البند بعد { $days } أيام، في { $due }.
        [many] يحل موعد هذا البند بعد { $days } يومًا، في { $due }.
       *[other] يحل موعد هذا البند بعد { $days } يوم، في { $due }.
    }
deadline-owner = تتلقون هذه الرسالة لأنكم المسؤول عن هذا البند في needsd (needsd deadline list).

## تأكيد توقف جهة الاتصال عن تلقي المصفوفة.
unsubscribed-subject = لن تتلقوا مصفوفة الاحتياجات بعد الآن
unsubscribed-body = بناءً على طلبكم، لم تعد مصفوفة الاحتياجات تُرسل إلى { $address } باسم { $party }.
unsubscribed-again = لتلقيها مرة أخرى، اكتبوا «subscribe» إلى { $address }.

## الصفحة التي يفتحها رابط إلغاء الاشتراك.
unsubscribe-page-title = التوقف عن تلقي مصفوفة الاحتياجات
unsubscribe-page-ask = هل تريدون التوقف عن إرسال مصفوفة الاحتياجات الشهرية إلى { $address }؟
unsubscribe-page-button = التوقف عن تلقيها
unsubscribe-page-done = لم تعد مصفوفة الاحتياجات تُرسل إلى { $address }. أُرسل إليكم تأكيد بذلك.
unsubscribe-page-already = مصفوفة الاحتياجات لا تُرسل إلى { $address }.

# مفردات المصنف باللغة العربية.

## The Matrix sheet's headers.
header-need-id = رقم الاحتياج
header-state = الدولة
header-area = المجال
header-description = الاحتياج
header-priority = الأولوية
header-status = الحالة
header-provider = مقدم المساعدة
header-notes = ملاحظات
header-updated = آخر تحديث

## Priorities.
priority-high = عالية
priority-medium = متوسطة
priority-low = منخفضة

## Statuses of a need.
status-open = مفتوحة
status-assistance-offered = عُرضت المساعدة
status-in-progress = قيد التنفيذ
status-met = تمت تلبيتها
status-withdrawn = مسحوبة

## The default areas of assistance (the CTC's headings), by code.
area-LEG = الصياغة التشريعية
area-FIN = القانون والممارسة في المجال المالي
area-CUS = القانون والممارسة في مجال الجمارك
area-IMM = القانون والممارسة في مجال الهجرة
area-EXT = تسليم المطلوبين والمساعدة القانونية المتبادلة
area-POL = الشرطة وإنفاذ القانون
area-ARM = الاتجار غير المشروع بالأسلحة
area-OTH = أخرى
## Answers.
answer-yes = نعم
answer-no = لا

## The About sheet.
about-title = مصفوفة الاحتياجات
about-what-label = ما هذه المصفوفة
about-what = مصفوفة الاحتياجات ذات الأولوية التابعة للجنة مكافحة الإرهاب: احتياجات كل دولة من المساعدة في مجال مكافحة الإرهاب، مع أولويتها النسبية وحالتها والمنظمة التي تقدم المساعدة.
about-cycle = الدورة
about-recipient = المرسل إليه
about-reply-by = الرد في موعد أقصاه
about-how-label = طريقة الرد
about-how = يُرجى تعديل ورقة Matrix والرد على الرسالة مع إرفاق هذا الملف (أو إرساله إلى { $address }). عدّلوا الاحتياج في صفه؛ وأضيفوا احتياجًا جديدًا في صف فارغ مع ترك "{ header-need-id }" فارغًا؛ ولسحب احتياج اجعلوا "{ header-status }" الخاصة به "{ status-withdrawn }" (حذف الصفوف أو تصفيتها لا يغير شيئًا). يُرجى الإبقاء على اسم الملف وصيغته (تُقرأ صيغ xlsx وods وcsv).
about-reference = المرجع
about-as-of = في تاريخ
about-no-changes = لا تغييرات هذا الشهر
about-no-changes-title = لا تغييرات؟
about-no-changes-help = اختاروا "{ answer-yes }" إذا لم يلزم تغيير أي شيء في المصفوفة يخصكم هذا الشهر، ثم ردوا مع إرفاق هذا الملف.

## The Lists sheet's headers.
lists-state = رمز الدولة
lists-state-name = اسم الدولة
lists-area = رمز المجال
lists-area-name = اسم المجال

## عناوين أعمدة ورقة Programmes.
programme-header-id = رقم البرنامج
programme-header-provider = الجهة المقدمة
programme-header-title = العنوان
programme-header-kind = النوع
programme-header-areas = المجالات
programme-header-eligible = الجهات المؤهلة
programme-header-languages = اللغات
programme-header-contact = جهة الاتصال
programme-header-link = الرابط
programme-header-status = الحالة
programme-header-updated = { header-updated }

## عناوين أعمدة ورقة «Needs you could meet».
offer-header-id = { header-need-id }
offer-header-state = { header-state }
offer-header-area = { header-area }
offer-header-description = { header-description }
offer-header-priority = { header-priority }
offer-header-status = { header-status }
offer-header-provider = { header-provider }
offer-header-notes = { header-notes }
offer-header-programmes = برامجكم
offer-header-updated = { header-updated }

## رسالة الخلية ذات القائمة المنسدلة.
validation-list = اختر قيمة من القائمة المنسدلة (انظر ورقة Lists).
validation-choose = اختر قيمة من القائمة: { $choices }

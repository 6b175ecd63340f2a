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

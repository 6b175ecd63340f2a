# Слова рабочей книги на русском языке.

## The Matrix sheet's headers.
header-need-id = Номер потребности
header-state = Государство
header-area = Область
header-description = Потребность
header-priority = Приоритет
header-status = Статус
header-provider = Поставщик помощи
header-notes = Примечания
header-updated = Последнее обновление

## Priorities.
priority-high = Высокий
priority-medium = Средний
priority-low = Низкий

## Statuses of a need.
status-open = Открыта
status-assistance-offered = Предложена помощь
status-in-progress = Выполняется
status-met = Удовлетворена
status-withdrawn = Отозвана

## The default areas of assistance (the CTC's headings), by code.
area-LEG = Разработка законодательства
area-FIN = Финансовое право и практика
area-CUS = Таможенное право и практика
area-IMM = Иммиграционное право и практика
area-EXT = Выдача и взаимная правовая помощь
area-POL = Полиция и правоохранительная деятельность
area-ARM = Незаконный оборот оружия
area-OTH = Прочее

## Answers.
answer-yes = Да
answer-no = Нет

## The About sheet.
about-title = Матрица потребностей
about-what-label = Что это
about-what = Приоритизированная Матрица потребностей Контртеррористического комитета: потребности каждого государства в помощи в борьбе с терроризмом с указанием их относительного приоритета, статуса и организации, оказывающей помощь.
about-cycle = Цикл
about-recipient = Получатель
about-reply-by = Ответить до
about-how-label = Как ответить
about-how = Отредактируйте лист Matrix и ответьте на письмо, приложив этот файл (или отправьте его по адресу { $address }). Изменяйте потребность в ее строке; новую потребность добавьте в пустую строку, оставив «{ header-need-id }» пустым; чтобы отозвать потребность, укажите в столбце «{ header-status }» значение «{ status-withdrawn }» (удаление или фильтрация строк ничего не меняет). Сохраните имя и формат файла (читаются xlsx, ods и csv).
about-reference = Ссылка
about-as-of = По состоянию на
about-no-changes = В этом месяце изменений нет
about-no-changes-title = Изменений нет?
about-no-changes-help = Выберите «{ answer-yes }», если в этом месяце в матрице для вас ничего не меняется, и ответьте, приложив этот файл.

## The Lists sheet's headers.
lists-state = Код государства
lists-state-name = Название государства
lists-area = Код области
lists-area-name = Название области

## Заголовки листа Programmes.
programme-header-id = Идентификатор программы
programme-header-provider = Поставщик
programme-header-title = Название
programme-header-kind = Вид
programme-header-areas = Области
programme-header-eligible = Кто может получить
programme-header-languages = Языки
programme-header-contact = Контакт
programme-header-link = Ссылка
programme-header-status = Статус
programme-header-updated = { header-updated }

## Заголовки листа «Needs you could meet».
offer-header-id = { header-need-id }
offer-header-state = { header-state }
offer-header-area = { header-area }
offer-header-description = { header-description }
offer-header-priority = { header-priority }
offer-header-status = { header-status }
offer-header-provider = { header-provider }
offer-header-notes = { header-notes }
offer-header-programmes = Ваши программы
offer-header-updated = { header-updated }

## Сообщение ячейки с раскрывающимся списком.
validation-list = Выберите значение из раскрывающегося списка (см. лист Lists).
validation-choose = Выберите значение из списка: { $choices }

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

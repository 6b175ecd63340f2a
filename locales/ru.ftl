# Слова needsd на русском языке. Макет писем — в templates/mail/; здесь только текст.

## Dates.
month-1 = января
month-2 = февраля
month-3 = марта
month-4 = апреля
month-5 = мая
month-6 = июня
month-7 = июля
month-8 = августа
month-9 = сентября
month-10 = октября
month-11 = ноября
month-12 = декабря
month-name-1 = январь
month-name-2 = февраль
month-name-3 = март
month-name-4 = апрель
month-name-5 = май
month-name-6 = июнь
month-name-7 = июль
month-name-8 = август
month-name-9 = сентябрь
month-name-10 = октябрь
month-name-11 = ноябрь
month-name-12 = декабрь
date = { $day } { $month } { $year } г.
day-month = { $day } { $month }
month-year = { $month } { $year } года
date-time = { $date }, { $time } (по времени г. { $zone })

## What every respondent's mail shares.
greeting = Уважаемый(ая) { $name }!
signature-1 = Матрица потребностей
signature-2 = Контртеррористический комитет
reference = Ссылка: { $reference }
replies-reach = Ответы на это сообщение поступают группе по адресу { $address }.

## The workbook's own words, as the mail quotes them: the recipient's copy is in the
## same language, but for its sheet names.
workbook-need-id = { header-need-id }
workbook-status = { header-status }
workbook-withdrawn = { status-withdrawn }
workbook-yes = { answer-yes }
workbook-no-changes = { about-no-changes }
workbook-about = About

## Circulation.
circulation-subject = Просим рассмотреть и ответить до { $deadline_date }
circulation-intro = Направляем Матрицу потребностей Контртеррористического комитета, распространенную за { $month_year }.
circulation-count = В ней { $count ->
        [one] указана { $count } потребность
        [few] указаны { $count } потребности
       *[many] указано { $count } потребностей
    } государства { $party }.
circulation-ask = Просим рассмотреть ее и ответить на это письмо, приложив файл, до { $deadline }:
circulation-edit = чтобы изменить потребность, отредактируйте ее строку;
circulation-add = чтобы добавить потребность, заполните пустую строку, оставив «{ workbook-need-id }» пустым;
circulation-withdraw = чтобы отозвать потребность, укажите в столбце «{ workbook-status }» значение «{ workbook-withdrawn }».
circulation-no-changes = Если в этом месяце изменений нет, выберите «{ workbook-yes }» рядом с «{ workbook-no-changes }» на листе «{ workbook-about }» и ответьте, приложив файл.
circulation-programs = Подойдет любая программа для работы с таблицами: Excel, LibreOffice или Numbers, с сохранением в формате xlsx, ods или csv. Просим не изменять столбец «{ workbook-need-id }»: по нему сопоставляются ваши изменения. Группа экспертов рассматривает каждое изменение до его внесения в Матрицу.

## Reminder and the deadline's last day.
reminder-subject = Напоминание: просим ответить до { $deadline_day }
reminder-subject-final = Сегодня истекает срок
reminder-final = Сегодня, { $deadline_date }, последний день для представления Матрицы потребностей за { $month_year }: ответы, полученные до { $time } (по времени г. { $zone }), будут рассмотрены в этом месяце.
reminder-body = Мы еще не получили ответа государства { $party } на Матрицу потребностей, распространенную за { $month_year }. Просим ответить до { $deadline }.
reminder-attached = Ваш экземпляр снова прилагается. Ответьте на это письмо, приложив файл с изменениями там, где потребности изменились. Если изменений нет, выберите «{ workbook-yes }» рядом с «{ workbook-no-changes }» на листе «{ workbook-about }» и ответьте, приложив файл, или просто ответьте «изменений нет».
reminder-disregard = Если за { $party } уже ответил кто-то другой, просим не принимать это сообщение во внимание.

## Receipt of a reply.
receipt-subject = Получено: { $status ->
        [quarantined] ожидает подтверждения
        [pending] { $count ->
            [one] { $count } изменение ожидает рассмотрения
            [few] { $count } изменения ожидают рассмотрения
           *[many] { $count } изменений ожидают рассмотрения
        }
        [no-changes] изменений нет
       *[check] просим проверить отмеченные строки
    }
receipt-thanks = Благодарим вас: needsd получил ваш ответ за { $party } ({ $cycle }).
receipt-thanks-late = Благодарим вас: needsd получил ваш ответ за { $party } ({ $cycle }) после истечения срока; он все же будет рассмотрен.
receipt-quarantined = Ваше сообщение отправлено не с адреса, указанного для { $party }, поэтому, прежде чем его содержание будет рассмотрено, группа экспертов должна его подтвердить.
receipt-verdict = { $verdict ->
        [no-changes] изменений нет
        [unreadable] не удалось прочитать
        [quarantined] ожидает подтверждения отправителя
       *[pending] { $count ->
            [one] { $count } изменение ожидает рассмотрения
            [few] { $count } изменения ожидают рассмотрения
           *[many] { $count } изменений ожидают рассмотрения
        }
    }
receipt-item = { $file }: { $verdict }
receipt-your-message = Ваше сообщение
receipt-review = Изменения ожидают рассмотрения группой экспертов; в следующую рассылку войдет то, что они одобрят.
receipt-errors-text = Строки, отмеченные «!», не удалось понять: исправьте их и ответьте снова, приложив файл, до { $deadline }; ваш последний ответ заменяет предыдущий.
receipt-errors-html = Строки, выделенные красным, не удалось понять: исправьте их и ответьте снова, приложив файл, до { $deadline }; ваш последний ответ заменяет предыдущий.

## One proposed change, as receipts and decisions list it.
change = { $kind ->
        [withdraw] { $id } отозвана
        [add-need] новая потребность ({ $party }): { $title }
        [add-programme] новая программа ({ $party }): { $title }
        [created] новая программа ({ $party }): { $title } (теперь { $created })
       *[update] { $id } { $field }: { $from } → { $to }
    }
change-conflict = тем временем изменено на { $current }; решение примут эксперты
value-empty = (пусто)
row-error = строка { $row }: { $message }
row-error-column = строка { $row }, { $column }: { $message }

## The columns a change names.
column-need-state = Государство
column-need-area = Область
column-need-description = Потребность
column-need-priority = Приоритет
column-need-status = Статус
column-need-provider = Поставщик помощи
column-need-notes = Примечания
column-programme-provider = Поставщик
column-programme-title = Название
column-programme-kind = Вид
column-programme-areas = Области
column-programme-eligible = Получатели
column-programme-languages = Языки
column-programme-contact = Контакт
column-programme-link = Ссылка
column-programme-status = Статус
column-programme-updated = Последнее обновление

## The experts' decision.
decision-subject = Решение: { $approved ->
        [0] не принято: { $rejected }
       *[other] одобрено: { $approved }{ $rejected ->
            [0] {""}
           *[other] , не принято: { $rejected }
        }
    }
decision-intro = Группа экспертов рассмотрела ответ, направленный вами за { $party } ({ $cycle }).
decision-intro-subject = Группа экспертов рассмотрела ответ, направленный вами за { $party } ({ $cycle }), «{ $subject }».
decision-approved = Одобрено; следующая рассылка Матрицы будет содержать следующее:
decision-rejected = Не принято:
decision-reason = причина: { $reason }
decision-correct = Если что-то здесь не соответствует вашему замыслу, ответьте на это сообщение, приложив исправленный файл.

## The experts' digest.
digest-subject = Сводка: ответили { $answered } из { $parties }, на рассмотрении { $submissions }
digest-intro = Матрица потребностей { $cycle }: положение дел со сбором после истечения срока ({ $deadline }).
digest-answered = Ответили: { $answered } из { $parties } сторон.
digest-awaiting = Ожидают рассмотрения: { $submissions ->
        [one] { $submissions } ответ
        [few] { $submissions } ответа
       *[many] { $submissions } ответов
    } ({ $changes ->
        [one] { $changes } изменение
        [few] { $changes } изменения
       *[many] { $changes } изменений
    }, в противоречии с более поздним изменением: { $conflicts }).
digest-quarantined = В карантине (отправитель не подтвержден): { $count }.
digest-unparseable = Не удалось прочитать: { $count }.
digest-late = Поздние ответы: { $count }.
digest-silent = Не ответили ({ $count }):
digest-bouncing = Контакты, письма которым возвращаются ({ $count }):
digest-unmet = Потребности, которые никто не предложил удовлетворить ({ $count }):
digest-unmet-need = { $need } ({ $state }, { $area }) { $what }: открыта без поставщика помощи рассылок подряд: { $cycles }; { $who }
digest-unmet-none = ни одна программа справочника ее не охватывает
digest-unmet-candidates = могли бы удовлетворить: { $candidates }
digest-undecided = Изменения, по которым не принято решение до следующей рассылки, в нее не войдут.

## Two days before the next circulation.
review-alert-subject = На рассмотрении { $count ->
        [one] { $count } ответ
        [few] { $count } ответа
       *[many] { $count } ответов
    } до рассылки { $next }
review-alert-body = Решения еще ожидают: { $count ->
        [one] { $count } ответ
        [few] { $count } ответа
       *[many] { $count } ответов
    }. Следующая рассылка — { $next }; изменения, не одобренные к этому сроку, в нее не войдут.
review-alert-parties = Ожидают рассмотрения, по сторонам:

## A one-off deadline's alert to its owner.
deadline-subject = { $days ->
        [0] Срок сегодня
        [1] Срок завтра
        [one] Срок через { $days } день
        [few] Срок через { $days } дня
       *[many] Срок через { $days } дней
    }: { $title }
deadline-body = { $days ->
        [0] Срок истекает сегодня ({ $due }).
        [1] Срок истекает завтра ({ $due }).
        [one] Срок истекает через { $days } день ({ $due }).
        [few] Срок истекает через { $days } дня ({ $due }).
       *[many] Срок истекает через { $days } дней ({ $due }).
    }
deadline-owner = Вы получили это сообщение, поскольку являетесь ответственным за этот срок в needsd (needsd deadline list).

## Подтверждение того, что контакт больше не получает матрицу.
unsubscribed-subject = Вы больше не будете получать матрицу потребностей
unsubscribed-body = По вашей просьбе матрица потребностей больше не направляется по адресу { $address } для: { $party }.
unsubscribed-again = Чтобы снова получать её, напишите «subscribe» по адресу { $address }.

## Страница, которую открывает ссылка для отказа от рассылки.
unsubscribe-page-title = Отказаться от получения матрицы потребностей
unsubscribe-page-ask = Больше не направлять ежемесячную матрицу потребностей по адресу { $address }?
unsubscribe-page-button = Больше не получать
unsubscribe-page-done = Матрица потребностей больше не направляется по адресу { $address }. Подтверждение отправлено.
unsubscribe-page-already = Матрица потребностей не направляется по адресу { $address }.

# Las palabras de needsd en español. El diseño de los mensajes está en templates/mail/.

## Dates.
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
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
date = { $day } de { $month } de { $year }
day-month = { $day } de { $month }
month-year = { $month } de { $year }
date-time = { $date }, a las { $time } (hora de { $zone })

## What every respondent's mail shares.
greeting = Estimado/a { $name }:
signature-1 = Matriz de necesidades
signature-2 = Comité contra el Terrorismo
reference = Referencia: { $reference }
replies-reach = Las respuestas a este mensaje llegan al equipo en la dirección { $address }.

## The workbook's own words, as the mail quotes them: the recipient's copy is in the
## same language, but for its sheet names.
workbook-need-id = { header-need-id }
workbook-status = { header-status }
workbook-withdrawn = { status-withdrawn }
workbook-yes = { answer-yes }
workbook-no-changes = { about-no-changes }
workbook-about = About

## Circulation.
circulation-subject = Matriz de necesidades: le rogamos responder antes del { $deadline_date }
circulation-intro = Adjuntamos la Matriz de necesidades del Comité contra el Terrorismo, distribuida para { $month_year }.
circulation-count = Recoge { $count ->
        [one] { $count } necesidad
       *[other] { $count } necesidades
    } de { $party }.
circulation-ask = Le rogamos que la revise y responda a este mensaje con el archivo adjunto a más tardar el { $deadline }:
circulation-edit = para modificar una necesidad, edite su fila;
circulation-add = para añadir una necesidad, complete una fila vacía y deje «{ workbook-need-id }» en blanco;
circulation-withdraw = para retirar una necesidad, ponga su «{ workbook-status }» en «{ workbook-withdrawn }».
circulation-no-changes = Si este mes no hay cambios, elija «{ workbook-yes }» junto a «{ workbook-no-changes }» en la hoja { workbook-about } y responda con el archivo.
circulation-programs = Sirve cualquier programa de hojas de cálculo: Excel, LibreOffice o Numbers, guardando en xlsx, ods o csv. Le rogamos no modificar la columna «{ workbook-need-id }», que permite asociar sus cambios. El equipo de expertos examina cada cambio antes de incorporarlo a la Matriz.

## Reminder and the deadline's last day.
reminder-subject = Recordatorio: le rogamos responder antes del { $deadline_day }
reminder-subject-final = Hoy vence el plazo
reminder-final = Hoy, { $deadline_date }, es el último día para enviar la Matriz de necesidades de { $month_year }: las respuestas recibidas antes de las { $time } (hora de { $zone }) entran en el examen de este mes.
reminder-body = Aún no hemos recibido la respuesta de { $party } a la Matriz de necesidades distribuida para { $month_year }. Le rogamos responder antes del { $deadline }.
reminder-attached = Adjuntamos de nuevo su ejemplar. Responda a este mensaje con el archivo adjunto, modificado donde hayan cambiado las necesidades. Si no hay cambios, elija «{ workbook-yes }» junto a «{ workbook-no-changes }» en la hoja { workbook-about } y responda con el archivo, o simplemente responda «sin cambios».
reminder-disregard = Si otra persona ya ha respondido por { $party }, le rogamos que no tenga en cuenta este mensaje.

## Receipt of a reply.
receipt-subject = Recibido: { $status ->
        [quarantined] pendiente de confirmación
        [pending] { $count ->
            [one] { $count } cambio pendiente de examen
           *[other] { $count } cambios pendientes de examen
        }
        [no-changes] sin cambios
       *[check] le rogamos revisar las filas señaladas
    }
receipt-thanks = Gracias: needsd ha recibido su respuesta por { $party } ({ $cycle }).
receipt-thanks-late = Gracias: needsd ha recibido su respuesta por { $party } ({ $cycle }) después del plazo; se examinará de todos modos.
receipt-quarantined = Su mensaje no se envió desde una dirección registrada para { $party }, por lo que espera a que el equipo de expertos lo confirme antes de tener en cuenta su contenido.
receipt-verdict = { $verdict ->
        [no-changes] sin cambios
        [unreadable] no se pudo leer
        [quarantined] pendiente de confirmar el remitente
       *[pending] { $count ->
            [one] { $count } cambio pendiente de examen
           *[other] { $count } cambios pendientes de examen
        }
    }
receipt-item = { $file }: { $verdict }
receipt-your-message = Su mensaje
receipt-review = Los cambios esperan el examen del equipo de expertos; la próxima distribución incluirá los que apruebe.
receipt-errors-text = Las filas marcadas con «!» no se entendieron: corríjalas y responda de nuevo con el archivo antes del { $deadline }; su última respuesta sustituye a la anterior.
receipt-errors-html = Las filas en rojo no se entendieron: corríjalas y responda de nuevo con el archivo antes del { $deadline }; su última respuesta sustituye a la anterior.

## One proposed change, as receipts and decisions list it.
change = { $kind ->
        [withdraw] { $id } retirada
        [add-need] nueva necesidad de { $party }: { $title }
        [add-programme] nuevo programa de { $party }: { $title }
        [created] nuevo programa de { $party }: { $title } (ahora { $created })
       *[update] { $id } { $field }: { $from } → { $to }
    }
change-conflict = cambiado entretanto a { $current }; decidirán los expertos
value-empty = (vacío)
row-error = fila { $row }: { $message }
row-error-column = fila { $row }, { $column }: { $message }

## The columns a change names.
column-need-state = Estado Miembro
column-need-area = Ámbito
column-need-description = Necesidad
column-need-priority = Prioridad
column-need-status = Situación
column-need-provider = Proveedor de asistencia
column-need-notes = Observaciones
column-programme-provider = Proveedor
column-programme-title = Título
column-programme-kind = Tipo
column-programme-areas = Ámbitos
column-programme-eligible = Destinatarios
column-programme-languages = Idiomas
column-programme-contact = Contacto
column-programme-link = Enlace
column-programme-status = Situación
column-programme-updated = Última actualización

## The experts' decision.
decision-subject = Decisión: { $approved ->
        [0] { $rejected } no aceptados
       *[other] { $approved } aprobados{ $rejected ->
            [0] {""}
           *[other] , { $rejected } no aceptados
        }
    }
decision-intro = El equipo de expertos ha examinado la respuesta que envió por { $party } ({ $cycle }).
decision-intro-subject = El equipo de expertos ha examinado la respuesta que envió por { $party } ({ $cycle }), «{ $subject }».
decision-approved = Aprobado; la próxima distribución de la Matriz incluirá lo siguiente:
decision-rejected = No aceptado:
decision-reason = motivo: { $reason }
decision-correct = Si algo no corresponde a lo que quería decir, responda a este mensaje con el archivo corregido.

## The experts' digest.
digest-subject = Resumen: { $answered } de { $parties } respondieron, { $submissions } pendientes de examen
digest-intro = Matriz de necesidades { $cycle }: estado de la recopilación tras el plazo ({ $deadline }).
digest-answered = Respondieron: { $answered } de { $parties } partes.
digest-awaiting = Pendientes de examen: { $submissions ->
        [one] { $submissions } respuesta
       *[other] { $submissions } respuestas
    } ({ $changes ->
        [one] { $changes } cambio
       *[other] { $changes } cambios
    }, { $conflicts } en conflicto con un cambio posterior).
digest-quarantined = En cuarentena (remitente no verificado): { $count }.
digest-unparseable = No se pudieron leer: { $count }.
digest-late = Respuestas tardías: { $count }.
digest-silent = Sin respuesta ({ $count }):
digest-bouncing = Contactos cuyo correo rebota ({ $count }):
digest-unmet = Necesidades que nadie ha ofrecido atender ({ $count }):
digest-unmet-need = { $need } ({ $state }, { $area }) { $what }: abierta sin proveedor durante { $cycles } distribuciones; { $who }
digest-unmet-none = ningún programa del directorio la cubre
digest-unmet-candidates = podrían atenderla { $candidates }
digest-undecided = Los cambios que no se decidan antes de la próxima distribución quedarán fuera de ella.

## Two days before the next circulation.
review-alert-subject = { $count ->
        [one] { $count } respuesta espera
       *[other] { $count } respuestas esperan
    } examen antes de la distribución del { $next }
review-alert-body = { $count ->
        [one] { $count } respuesta espera
       *[other] { $count } respuestas esperan
    } todavía una decisión. La próxima distribución sale el { $next }; los cambios no aprobados para entonces quedarán fuera de ella.
review-alert-parties = Pendientes de examen, por parte:

## A one-off deadline's alert to its owner.
deadline-subject = { $days ->
        [0] Vence hoy
        [1] Vence mañana
       *[other] Vence en { $days } días
    }: { $title }
deadline-body = { $days ->
        [0] Vence hoy, { $due }.
        [1] Vence mañana, { $due }.
       *[other] Vence dentro de { $days } días, el { $due }.
    }
deadline-owner = Recibe este mensaje porque es su responsable en needsd (needsd deadline list).

## La confirmación de que un contacto ya no recibe la Matriz.
unsubscribed-subject = Ya no recibirá la Matriz de necesidades
unsubscribed-body = Como lo solicitó, la Matriz de necesidades ya no se envía a { $address } en nombre de { $party }.
unsubscribed-again = Para volver a recibirla, escriba «subscribe» a { $address }.

## La página que abre un enlace para darse de baja.
unsubscribe-page-title = Dejar de recibir la Matriz de necesidades
unsubscribe-page-ask = ¿Dejar de enviar la Matriz de necesidades mensual a { $address }?
unsubscribe-page-button = Dejar de recibirla
unsubscribe-page-done = La Matriz de necesidades ya no se envía a { $address }. Recibirá una confirmación.
unsubscribe-page-already = La Matriz de necesidades no se envía a { $address }.

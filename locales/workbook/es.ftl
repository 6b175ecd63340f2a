# Las palabras del libro en español. "Estado" sería a la vez el Estado y el estado de una
# necesidad: el encabezado del Estado es "Estado Miembro" y el del estado, "Situación".

## The Matrix sheet's headers.
header-need-id = ID de la necesidad
header-state = Estado Miembro
header-area = Ámbito
header-description = Necesidad
header-priority = Prioridad
header-status = Situación
header-provider = Proveedor de asistencia
header-notes = Observaciones
header-updated = Última actualización

## Priorities.
priority-high = Alta
priority-medium = Media
priority-low = Baja

## Statuses of a need.
status-open = Abierta
status-assistance-offered = Asistencia ofrecida
status-in-progress = En curso
status-met = Satisfecha
status-withdrawn = Retirada

## The default areas of assistance (the CTC's headings), by code.
area-LEG = Redacción legislativa
area-FIN = Derecho y práctica financieros
area-CUS = Derecho y práctica aduaneros
area-IMM = Derecho y práctica de inmigración
area-EXT = Extradición y asistencia judicial recíproca
area-POL = Policía y aplicación de la ley
area-ARM = Tráfico ilícito de armas
area-OTH = Otros

## Answers.
answer-yes = Sí
answer-no = No

## The About sheet.
about-title = Matriz de necesidades
about-what-label = Qué es
about-what = La Matriz de necesidades priorizada del Comité contra el Terrorismo: las necesidades de asistencia de cada Estado en la lucha contra el terrorismo, con su prioridad relativa, su situación y la organización que presta asistencia.
about-cycle = Ciclo
about-recipient = Destinatario
about-reply-by = Responder antes del
about-how-label = Cómo responder
about-how = Edite la hoja Matrix y responda al mensaje con este archivo adjunto (o envíelo a { $address }). Modifique una necesidad en su fila; añada una necesidad en una fila vacía, dejando «{ header-need-id }» en blanco; para retirar una necesidad ponga su «{ header-status }» en «{ status-withdrawn }» (borrar o filtrar filas no cambia nada). Conserve el nombre y el formato del archivo (se leen xlsx, ods y csv).
about-reference = Referencia
about-as-of = A fecha de
about-no-changes = Sin cambios este mes
about-no-changes-title = ¿Sin cambios?
about-no-changes-help = Elija «{ answer-yes }» si nada de la matriz cambia para usted este mes y responda con este archivo.

## The Lists sheet's headers.
lists-state = Código del Estado
lists-state-name = Nombre del Estado
lists-area = Código del ámbito
lists-area-name = Nombre del ámbito

## Los encabezados de la hoja Programmes.
programme-header-id = ID del programa
programme-header-provider = Proveedor
programme-header-title = Título
programme-header-kind = Tipo
programme-header-areas = Áreas
programme-header-eligible = Beneficiarios admisibles
programme-header-languages = Idiomas
programme-header-contact = Contacto
programme-header-link = Enlace
programme-header-status = Estado
programme-header-updated = { header-updated }

## Los encabezados de la hoja «Needs you could meet».
offer-header-id = { header-need-id }
offer-header-state = { header-state }
offer-header-area = { header-area }
offer-header-description = { header-description }
offer-header-priority = { header-priority }
offer-header-status = { header-status }
offer-header-provider = { header-provider }
offer-header-notes = { header-notes }
offer-header-programmes = Sus programas
offer-header-updated = { header-updated }

## El mensaje de una celda con lista desplegable.
validation-list = Elija un valor de la lista desplegable (véase la hoja Lists).
validation-choose = Elija un valor de la lista: { $choices }

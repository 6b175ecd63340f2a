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

# Les mots du classeur en français.

## The Matrix sheet's headers.
header-need-id = ID du besoin
header-state = État
header-area = Domaine
header-description = Besoin
header-priority = Priorité
header-status = Statut
header-provider = Prestataire d'assistance
header-notes = Observations
header-updated = Dernière mise à jour

## Priorities.
priority-high = Haute
priority-medium = Moyenne
priority-low = Basse

## Statuses of a need.
status-open = Ouvert
status-assistance-offered = Assistance proposée
status-in-progress = En cours
status-met = Satisfait
status-withdrawn = Retiré

## The default areas of assistance (the CTC's headings), by code.
area-LEG = Rédaction législative
area-FIN = Droit et pratique financiers
area-CUS = Droit et pratique douaniers
area-IMM = Droit et pratique de l'immigration
area-EXT = Extradition et entraide judiciaire
area-POL = Police et services de répression
area-ARM = Trafic illicite d'armes
area-OTH = Autre

## Answers.
answer-yes = Oui
answer-no = Non

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

## The About sheet.
about-title = Matrice des besoins
about-what-label = De quoi s'agit-il
about-what = La Matrice des besoins hiérarchisée du Comité contre le terrorisme : les besoins d'assistance de chaque État en matière de lutte contre le terrorisme, avec leur priorité relative, leur statut et l'organisation qui apporte son aide.
about-cycle = Cycle
about-recipient = Destinataire
about-reply-by = Répondre avant le
about-how-label = Comment répondre
about-how = Modifiez la feuille Matrix et répondez au message avec ce fichier joint (ou envoyez-le à { $address }). Modifiez un besoin sur sa ligne ; ajoutez un besoin sur une ligne vide en laissant « { header-need-id } » vide ; pour retirer un besoin, mettez son « { header-status } » à « { status-withdrawn } » (supprimer ou filtrer des lignes ne change rien). Gardez le nom et le format du fichier (xlsx, ods et csv sont tous lus).
about-reference = Référence
about-as-of = À la date du
about-no-changes = Aucun changement ce mois-ci
about-no-changes-title = Aucun changement ?
about-no-changes-help = Choisissez « { answer-yes } » si rien dans la matrice ne change pour vous ce mois-ci, puis répondez avec ce fichier.

## The Lists sheet's headers.
lists-state = Code de l'État
lists-state-name = Nom de l'État
lists-area = Code du domaine
lists-area-name = Nom du domaine

## Les en-têtes de la feuille Programmes.
programme-header-id = ID du programme
programme-header-provider = Fournisseur
programme-header-title = Intitulé
programme-header-kind = Type
programme-header-areas = Domaines
programme-header-eligible = Bénéficiaires admissibles
programme-header-languages = Langues
programme-header-contact = Contact
programme-header-link = Lien
programme-header-status = Statut
programme-header-updated = { header-updated }

## Les en-têtes de la feuille « Needs you could meet ».
offer-header-id = { header-need-id }
offer-header-state = { header-state }
offer-header-area = { header-area }
offer-header-description = { header-description }
offer-header-priority = { header-priority }
offer-header-status = { header-status }
offer-header-provider = { header-provider }
offer-header-notes = { header-notes }
offer-header-programmes = Vos programmes
offer-header-updated = { header-updated }

## Le message d'une cellule à liste déroulante.
validation-list = Choisissez une valeur dans la liste déroulante (voir la feuille Lists).
validation-choose = Choisissez une valeur de la liste : { $choices }

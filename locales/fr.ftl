# Les mots de needsd en français. La mise en page des messages est dans templates/mail/.

## Dates.
month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
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
date = { $day ->
        [1] 1er
       *[other] { $day }
    } { $month } { $year }
day-month = { $day ->
        [1] 1er
       *[other] { $day }
    } { $month }
month-year = { $month } { $year }
date-time = { $date } à { $time } (heure de { $zone })

## What every respondent's mail shares.
greeting = Madame, Monsieur,
signature-1 = Matrice des besoins
signature-2 = Comité contre le terrorisme
reference = Référence : { $reference }
replies-reach = Les réponses à ce message parviennent à l'équipe à l'adresse { $address }.

## The workbook's own words, as the mail quotes them: the recipient's copy is in the
## same language, but for its sheet names.
workbook-need-id = { header-need-id }
workbook-status = { header-status }
workbook-withdrawn = { status-withdrawn }
workbook-yes = { answer-yes }
workbook-no-changes = { about-no-changes }
workbook-about = About

## Circulation.
circulation-subject = Matrice des besoins : merci de répondre avant le { $deadline_date }
circulation-intro = Vous trouverez ci-joint la Matrice des besoins du Comité contre le terrorisme, diffusée pour { $month_year }.
circulation-count = Elle recense { $count ->
        [one] { $count } besoin
       *[other] { $count } besoins
    } de l'État suivant : { $party }.
circulation-ask = Merci de l'examiner et de répondre à ce message, fichier joint, au plus tard le { $deadline } :
circulation-edit = pour modifier un besoin, corrigez sa ligne ;
circulation-add = pour ajouter un besoin, remplissez une ligne vide en laissant « { workbook-need-id } » vide ;
circulation-withdraw = pour retirer un besoin, mettez son « { workbook-status } » à « { workbook-withdrawn } ».
circulation-no-changes = Si rien ne change ce mois-ci, choisissez « { workbook-yes } » en face de « { workbook-no-changes } » dans la feuille { workbook-about }, puis répondez avec le fichier.
circulation-programs = Tout tableur convient : Excel, LibreOffice ou Numbers, au format xlsx, ods ou csv. Merci de ne pas modifier la colonne « { workbook-need-id } », qui permet de rattacher vos modifications. L'équipe d'experts examine chaque modification avant qu'elle n'entre dans la Matrice.

## Reminder and the deadline's last day.
reminder-subject = Rappel : merci de répondre avant le { $deadline_day }
reminder-subject-final = Dernier jour pour répondre
reminder-final = Nous sommes le { $deadline_date }, dernier jour pour renvoyer la Matrice des besoins de { $month_year } : les réponses reçues avant { $time } (heure de { $zone }) seront examinées ce mois-ci.
reminder-body = Nous n'avons pas encore reçu la réponse de { $party } à la Matrice des besoins diffusée pour { $month_year }. Merci de répondre avant le { $deadline }.
reminder-attached = Votre exemplaire est de nouveau joint. Répondez à ce message en joignant le fichier, modifié là où les besoins ont changé. Si rien ne change, choisissez « { workbook-yes } » en regard de « { workbook-no-changes } » dans la feuille { workbook-about } et renvoyez le fichier, ou répondez simplement « aucun changement ».
reminder-disregard = Si quelqu'un a déjà répondu pour { $party }, veuillez ne pas tenir compte de ce message.

## Receipt of a reply.
receipt-subject = Reçu : { $status ->
        [quarantined] en attente de confirmation
        [pending] { $count ->
            [one] { $count } modification en attente d'examen
           *[other] { $count } modifications en attente d'examen
        }
        [no-changes] aucun changement
       *[check] merci de vérifier les lignes signalées
    }
receipt-thanks = Merci : needsd a bien reçu votre réponse pour { $party } ({ $cycle }).
receipt-thanks-late = Merci : needsd a bien reçu votre réponse pour { $party } ({ $cycle }) après la date limite ; elle sera tout de même examinée.
receipt-quarantined = Votre message n'a pas été envoyé depuis une adresse enregistrée pour { $party } : il attend que l'équipe d'experts le confirme avant que son contenu ne soit pris en compte.
receipt-verdict = { $verdict ->
        [no-changes] aucun changement
        [unreadable] illisible
        [quarantined] en attente de confirmation de l'expéditeur
       *[pending] { $count ->
            [one] { $count } modification en attente d'examen
           *[other] { $count } modifications en attente d'examen
        }
    }
receipt-item = { $file } : { $verdict }
receipt-your-message = Votre message
receipt-review = Les modifications attendent l'examen de l'équipe d'experts ; la prochaine diffusion reprendra celles qu'elle approuve.
receipt-errors-text = Les lignes marquées « ! » n'ont pas été comprises : corrigez-les et répondez de nouveau avec le fichier avant le { $deadline } ; votre dernière réponse remplace la précédente.
receipt-errors-html = Les lignes en rouge n'ont pas été comprises : corrigez-les et répondez de nouveau avec le fichier avant le { $deadline } ; votre dernière réponse remplace la précédente.

## One proposed change, as receipts and decisions list it.
change = { $kind ->
        [withdraw] { $id } retiré
        [add-need] nouveau besoin pour { $party } : { $title }
        [add-programme] nouveau programme de { $party } : { $title }
        [created] nouveau programme de { $party } : { $title } (désormais { $created })
       *[update] { $id } { $field } : { $from } → { $to }
    }
change-conflict = modifié entre-temps en { $current } ; les experts trancheront
value-empty = (vide)
row-error = ligne { $row } : { $message }
row-error-column = ligne { $row }, { $column } : { $message }

## The columns a change names.
column-need-state = État
column-need-area = Domaine
column-need-description = Besoin
column-need-priority = Priorité
column-need-status = Statut
column-need-provider = Prestataire d'assistance
column-need-notes = Observations
column-programme-provider = Prestataire
column-programme-title = Intitulé
column-programme-kind = Type
column-programme-areas = Domaines
column-programme-eligible = Bénéficiaires
column-programme-languages = Langues
column-programme-contact = Contact
column-programme-link = Lien
column-programme-status = Statut
column-programme-updated = Dernière mise à jour

## The experts' decision.
decision-subject = Décision : { $approved ->
        [0] { $rejected ->
            [one] { $rejected } non retenue
           *[other] { $rejected } non retenues
        }
       *[other] { $approved ->
            [one] { $approved } approuvée
           *[other] { $approved } approuvées
        }{ $rejected ->
            [0] {""}
            [one] , { $rejected } non retenue
           *[other] , { $rejected } non retenues
        }
    }
decision-intro = L'équipe d'experts a examiné la réponse que vous avez envoyée pour { $party } ({ $cycle }).
decision-intro-subject = L'équipe d'experts a examiné la réponse que vous avez envoyée pour { $party } ({ $cycle }), « { $subject } ».
decision-approved = Approuvé ; la prochaine diffusion de la Matrice reprendra ceci :
decision-rejected = Non retenu :
decision-reason = motif : { $reason }
decision-correct = Si quelque chose ne correspond pas à ce que vous vouliez dire, répondez à ce message avec le fichier corrigé.

## The experts' digest.
digest-subject = Synthèse : { $answered } réponses sur { $parties }, { $submissions } en attente d'examen
digest-intro = Matrice des besoins { $cycle } : état de la collecte après la date limite ({ $deadline }).
digest-answered = Réponses : { $answered } sur { $parties } parties.
digest-awaiting = En attente d'examen : { $submissions ->
        [one] { $submissions } réponse
       *[other] { $submissions } réponses
    } ({ $changes ->
        [one] { $changes } modification
       *[other] { $changes } modifications
    }, dont { $conflicts } en conflit avec une modification ultérieure).
digest-quarantined = En quarantaine (expéditeur non vérifié) : { $count }.
digest-unparseable = Illisibles : { $count }.
digest-late = Réponses tardives : { $count }.
digest-silent = Sans réponse ({ $count }) :
digest-bouncing = Contacts dont le courrier est rejeté ({ $count }) :
digest-unmet = Besoins que personne n'a proposé de satisfaire ({ $count }) :
digest-unmet-need = { $need } ({ $state }, { $area }) { $what } : ouvert sans prestataire depuis { $cycles } diffusions ; { $who }
digest-unmet-none = aucun programme du répertoire ne le couvre
digest-unmet-candidates = pourrait être satisfait par { $candidates }
digest-undecided = Les modifications non tranchées avant la prochaine diffusion n'y figureront pas.

## Two days before the next circulation.
review-alert-subject = { $count ->
        [one] { $count } réponse attend
       *[other] { $count } réponses attendent
    } un examen avant la diffusion du { $next }
review-alert-body = { $count ->
        [one] { $count } réponse attend
       *[other] { $count } réponses attendent
    } encore une décision. La prochaine diffusion part le { $next } ; les modifications non approuvées d'ici là n'y figureront pas.
review-alert-parties = En attente d'examen, par partie :

## A one-off deadline's alert to its owner.
deadline-subject = { $days ->
        [0] Échéance aujourd'hui
        [1] Échéance demain
       *[other] Échéance dans { $days } jours
    } : { $title }
deadline-body = { $days ->
        [0] L'échéance est aujourd'hui, le { $due }.
        [1] L'échéance est demain, le { $due }.
       *[other] L'échéance est dans { $days } jours, le { $due }.
    }
deadline-owner = Vous recevez ce message parce que vous en êtes responsable dans needsd (needsd deadline list).

## La confirmation qu'un contact ne reçoit plus la Matrice.
unsubscribed-subject = Vous ne recevrez plus la Matrice des besoins
unsubscribed-body = Comme vous l'avez demandé, la Matrice des besoins n'est plus envoyée à { $address } pour { $party }.
unsubscribed-again = Pour la recevoir de nouveau, écrivez « subscribe » à { $address }.

## La page qu'ouvre un lien de désabonnement.
unsubscribe-page-title = Ne plus recevoir la Matrice des besoins
unsubscribe-page-ask = Ne plus envoyer la Matrice des besoins mensuelle à { $address } ?
unsubscribe-page-button = Ne plus la recevoir
unsubscribe-page-done = La Matrice des besoins n'est plus envoyée à { $address }. Une confirmation vous est adressée.
unsubscribe-page-already = La Matrice des besoins n'est pas envoyée à { $address }.

# ruff: noqa: E501  (the letters are prose: one paragraph a line)
"""The shipped welcome letters (German, French, Italian, English) and the placeholders a letter may use.

The texts are plain language on purpose: short sentences, one idea each, no
administrative terms a newcomer cannot look up.  A tenant edits its own copy
(``models.LetterTemplate``); these are only the starting point.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Placeholder key -> what it stands for (shown on the template page).  Keys are the same in
# every language; a template may use any of them, each as often as it likes.
PLACEHOLDERS = {
    "household_names": _l("Namen aller Personen des Haushalts, z. B. «Amina und Omar Yusuf»"),
    "first_names": _l("Vornamen aller Personen des Haushalts, z. B. «Amina und Omar»"),
    "first_name": _l("Vorname der ersten Person des Haushalts"),
    "official_name": _l("Nachname der ersten Person des Haushalts"),
    "commune": _l("Wohngemeinde, z. B. «Grenchen»"),
    "tenant": _l("Name des Mandanten (Absender), z. B. «Einwohnergemeinde Grenchen»"),
    "date": _l("Datum des Schreibens in der Sprache des Schreibens"),
    "arrival_date": _l("Zuzugsdatum der ersten Person in der Sprache des Schreibens"),
    "contact": _l("Integrations-Ansprechstelle (wie bei den Vorlagen erfasst; sonst der Name des Mandanten)"),
}

DEFAULT_LANGUAGES = ("de", "fr", "it", "en")

DEFAULTS: dict[str, tuple[str, str]] = {
    "de": (
        "Willkommen in {commune}",
        """Guten Tag {household_names}

Herzlich willkommen in {commune}! Wir freuen uns, dass Sie jetzt hier wohnen.

Am Anfang ist vieles neu. Vielleicht haben Sie Fragen zur Arbeit, zur Schule, zur Wohnung, zur Gesundheit oder zum Deutschlernen. Wir helfen Ihnen gerne.

Wir laden Sie zu einem Erstinformationsgespräch ein. Das Gespräch ist kostenlos und dauert etwa eine Stunde. Sie erfahren, wie das Leben in der Schweiz und in {commune} funktioniert, welche Angebote es für Sie gibt und welche Rechte und Pflichten Sie haben. Wenn Sie möchten, ist eine Dolmetscherin oder ein Dolmetscher dabei.

Bitte melden Sie sich für einen Termin bei uns:
{contact}

Deutsch hilft Ihnen im Alltag und bei der Arbeit. Es gibt Deutschkurse für alle Niveaus, manche auch mit Kinderbetreuung. Wir sagen Ihnen gerne, welcher Kurs zu Ihnen passt.

Informationen zum Leben im Kanton Solothurn und zu den Integrationsangeboten finden Sie auf der Website des Kantons (www.so.ch, Stichwort «Integration») und auf der Website der Gemeinde.

Wir freuen uns, Sie kennenzulernen.

Freundliche Grüsse
{tenant}""",
    ),
    "fr": (
        "Bienvenue à {commune}",
        """Bonjour {household_names}

Bienvenue à {commune} ! Nous sommes heureux que vous habitiez maintenant ici.

Au début, beaucoup de choses sont nouvelles. Vous avez peut-être des questions sur le travail, l'école, le logement, la santé ou l'apprentissage de l'allemand. Nous vous aidons volontiers.

Nous vous invitons à un entretien de première information. L'entretien est gratuit et dure environ une heure. Vous apprenez comment fonctionne la vie en Suisse et à {commune}, quelles offres existent pour vous, et quels sont vos droits et vos devoirs. Si vous le souhaitez, une interprète ou un interprète est présent.

Merci de nous contacter pour fixer un rendez-vous :
{contact}

L'allemand vous aide dans la vie de tous les jours et au travail. Il existe des cours d'allemand pour tous les niveaux, certains avec garde d'enfants. Nous vous disons volontiers quel cours vous convient.

Vous trouvez des informations sur la vie dans le canton de Soleure et sur les offres d'intégration sur le site internet du canton (www.so.ch, mot-clé « Integration ») et sur le site internet de la commune.

Nous nous réjouissons de faire votre connaissance.

Meilleures salutations
{tenant}""",
    ),
    "it": (
        "Benvenuti a {commune}",
        """Buongiorno {household_names}

Benvenuti a {commune}! Siamo felici che ora abitiate qui.

All'inizio molte cose sono nuove. Forse avete domande sul lavoro, sulla scuola, sull'abitazione, sulla salute o sull'apprendimento del tedesco. Vi aiutiamo volentieri.

Vi invitiamo a un colloquio di prima informazione. Il colloquio è gratuito e dura circa un'ora. Scoprite come funziona la vita in Svizzera e a {commune}, quali offerte ci sono per voi e quali sono i vostri diritti e doveri. Se lo desiderate, è presente un'interprete o un interprete.

Per fissare un appuntamento, contattateci:
{contact}

Il tedesco vi aiuta nella vita di tutti i giorni e al lavoro. Ci sono corsi di tedesco per tutti i livelli, alcuni anche con custodia dei bambini. Vi diciamo volentieri quale corso fa per voi.

Trovate informazioni sulla vita nel Cantone di Soletta e sulle offerte di integrazione sul sito internet del Cantone (www.so.ch, parola chiave «Integration») e sul sito internet del Comune.

Saremo lieti di conoscervi.

Cordiali saluti
{tenant}""",
    ),
    "en": (
        "Welcome to {commune}",
        """Dear {household_names}

A warm welcome to {commune}! We are glad that you now live here.

At the beginning, many things are new. You may have questions about work, school, housing, health or learning German. We are happy to help.

We invite you to a first-information meeting. The meeting is free of charge and takes about one hour. You will learn how life works in Switzerland and in {commune}, which offers there are for you, and what your rights and duties are. If you wish, an interpreter will be there.

Please contact us to make an appointment:
{contact}

German helps you in everyday life and at work. There are German courses for all levels, some with childcare. We are happy to tell you which course suits you.

You will find information about life in the canton of Solothurn and about integration offers on the canton's website (www.so.ch, keyword "Integration") and on the commune's website.

We look forward to meeting you.

Kind regards
{tenant}""",
    ),
}

"""The one label table per language of the FUI report: terms, outcomes, groups, sections.

Every table, figure and heading written by :mod:`evalkit.replications.fui.report_html`
reads its words here, so ``--lang nb`` (``--norwegian``) reaches all of them.  Term keys
are the readable names used everywhere (JSON, CSV, tables): ``period_change``,
``region_difference``, ``fui_effect``, ...  (:data:`~evalkit.replications.fui.published.TERMS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from evalkit.errors import EvalkitError
from evalkit.replications.fui.published import NORWEGIAN_LABELS, TABLE_KEYS

#: Languages of the report: English and Norwegian bokmål.
LANGUAGES: tuple[str, ...] = ("en", "nb")

_ENGLISH_TERMS = {
    "period_change": "Period (t2)",
    "region_difference": "South and West Norway",
    "fui_effect": "FUI effect (t2 x South and West)",
    "category_situational": "Situational need",
    "category_specially_adapted": "Specially adapted need",
    "female": "Female",
    "age_20_24": "Age 20-24",
    "age_25_29": "Age 25-29",
    "education_upper_secondary": "Upper secondary education",
    "education_higher": "Higher education",
    "county_unemployment_pct": "County unemployment (percent)",
    "constant": "Constant",
    "employed": "Employed",
    "in_education": "In education",
    "n_total": "Entrants",
    "male": "Male",
    "female_unknown": "Sex unknown",
    "age_under_20": "Age under 20",
    "education_below_upper_secondary": "Below upper secondary education",
    "education_unknown": "Education unknown",
    "category_standard": "Standard need",
    "county_unemployment_pct_mean": "County unemployment (percent, mean)",
    "outcome_censored": "outcome past the panel's end",
    "outcome_no_row": "no row in the outcome month",
    "outcome_not_recorded": "status not recorded in the outcome month",
    "outcome_missing": "outcome missing",
    "missing_several_covariates": "several covariates missing",
    "missing_nav_category": "need category missing",
    "missing_female": "sex missing",
    "missing_age_group": "age missing",
    "missing_education_level": "education missing",
    "missing_county_unemployment_pct": "county unemployment missing",
    "all_counties_treated": "outcome month after every county's start",
}

_NORWEGIAN_MORE = {
    "n_total": "Nye brukere",
    "male": "Mann",
    "female_unknown": "Kjønn ukjent",
    "age_under_20": "Alder under 20 år",
    "education_below_upper_secondary": "Lavere enn videregående utdanning",
    "education_unknown": "Utdanning ukjent",
    "category_standard": "Standard innsats",
    "county_unemployment_pct_mean": "Ledighet i fylket (prosent, gjennomsnitt)",
    "outcome_censored": "utfallsmåned etter panelets slutt",
    "outcome_no_row": "ingen rad i utfallsmåneden",
    "outcome_not_recorded": "status ikke registrert i utfallsmåneden",
    "outcome_missing": "utfall mangler",
    "missing_several_covariates": "flere kontrollvariabler mangler",
    "missing_nav_category": "innsatsbehov mangler",
    "missing_female": "kjønn mangler",
    "missing_age_group": "alder mangler",
    "missing_education_level": "utdanning mangler",
    "missing_county_unemployment_pct": "ledighet i fylket mangler",
    "all_counties_treated": "utfallsmåned etter alle fylkers start",
}

_WORDS = {
    "en": {
        "title": "The FUI evaluation (Fafo 2020, chapter 8) reproduced by evalkit",
        "findings": "Key findings",
        "warnings": "Design warnings",
        "month": "{h} mo", "published": "published",
        "reproduced": "evalkit", "horizon": "months after entry", "outcome": "outcome",
        "finding_effect": "{outcome}, {after}: FUI effect {b} (95% CI {lo} to {hi}; published {pub})",
        "finding_effect_own": "{outcome}, {after}: FUI effect {b} (95% CI {lo} to {hi})",
        "finding_within": "Tables 8.2-8.3: {within} of {n} reproduced coefficients lie within 1 published SE "
                          "of the published value ({within2} within 2 SE; largest difference {max:.2f} SE).",
        "finding_wild": "With 18 counties, the wild cluster bootstrap gives p-values of the FUI effect from {lo} "
                        "to {hi}, and randomization over county assignments from {rlo} to {rhi}.",
        "finding_pretrend": "Pre-trend tests (event study): {n_reject} of {n} reject no pre-trend at 5%.",
        "s_table_8_1": "Table 8.1: new users by region and entry window",
        "x_table_8_1": "Who entered in each region and window: counts and shares of entrants. Published values "
                       "in brackets. Education shares are of entrants with known education, as published.",
        "x_table_8_1_own": "Who entered in each region and window: counts and shares of entrants. Education "
                           "shares are of entrants with known education.",
        "s_exclusions": "Entrants used in each model",
        "x_exclusions": "Each model uses the entrants whose outcome and covariates are known; the others are "
                        "counted by reason (entrants = used + excluded).",
        "s_table_8_2": "Table 8.2: employment", "s_table_8_3": "Table 8.3: education",
        "x_table_8_2": "Linear probability model of being employed k months after entry, reproduced next to the "
                       "published numbers. The FUI effect is the difference-in-differences term.",
        "x_table_8_2_own": "Linear probability model of being employed k months after entry. The FUI effect is "
                           "the difference-in-differences term.",
        "x_table_8_3": "The same model for being in education k months after entry.",
        "s_model": "Linear probability model: {outcome}",
        "x_model": "The model of tables 8.2-8.3 for the outcome {outcome}, k months after entry. The FUI effect "
                   "is the difference-in-differences term.",
        "s_comparison": "Published against reproduced",
        "x_comparison": "How far each reproduced coefficient is from the published one, in published standard "
                        "errors. Within 1 SE means the reproduction agrees to sampling precision.",
        "s_effects": "The FUI effect under other specifications",
        "x_effects": "The FUI effect with county-clustered standard errors and without the need category "
                     "(which is set after entry and may itself be affected by FUI).",
        "s_few_clusters": "Inference with few treated counties",
        "x_few_clusters": "Only 18 counties, 6 of them treated: clustered standard errors are then too small. "
                          "The wild cluster bootstrap and randomization over county assignments give honest "
                          "p-values and intervals and are the inference of this report; the step-down p-values "
                          "hold the chance of any false rejection among the 2 x 4 tests at 5 %. CR1 is shown "
                          "only as the naive comparison.",
        "s_event_study": "Event study of monthly entry cohorts",
        "x_event_study": "Every monthly cohort by entry month relative to its county's FUI start, compared with "
                         "counties not yet treated. Rows are event times, columns outcome and horizon.",
        "s_event_sample": "New users in each event-study model",
        "s_pretrend": "Pre-trend tests",
        "x_pretrend": "Before FUI started there should be no effect: a small p-value warns that the comparison "
                      "counties were on a different path.",
        "s_sensitivity": "Sensitivity to parallel-trend violations",
        "x_sensitivity": "How large a violation of parallel trends (relative to the largest one before the start) "
                         "the conclusion survives (Rambachan and Roth 2023). + marks an interval that reaches the "
                         "edge of the search grid.",
        "s_placebo": "Placebo test",
        "x_placebo": "The same 2x2 comparison between two windows before FUI: an 'effect' here signals a "
                     "problem with the design. [exposed] marks horizons where some entrants had reached FUI.",
        "s_contamination": "Contamination of the comparison",
        "x_contamination": "The share of each group already exposed to FUI at each horizon; a contaminated "
                           "comparison group biases the effect towards zero.",
        "s_provenance": "Provenance",
        "x_provenance": "What produced this report.",
        "figure_title": "{outcome}, {after}",
        "fig_xlabel": "entry month relative to the county's FUI start",
        "fig_ylabel": "effect (share of entrants)",
        "ref_outcome": "outcome month under FUI from here",
        "ref_entry": "entered under FUI from here",
        "fig_suptitle": "FUI event study by monthly entry cohort (not-yet-treated counties as comparison)",
        "group": {"south_west_t1": "South/West, t1", "south_west_t2": "South/West, t2",
                  "rest_t1": "Rest of Norway, t1", "rest_t2": "Rest of Norway, t2"},
        "columns": {"entrants": "entrants", "used": "used", "estimate": "estimate", "cr1_se": "CR1 SE",
                    "cr1_p": "CR1 p", "wild_p": "wild bootstrap p", "wild_ci": "wild bootstrap 95% CI",
                    "randomization_p": "randomization p", "randomization_ci": "randomization 95% CI",
                    "romano_wolf_p": "wild step-down p (Romano-Wolf)",
                    "westfall_young_p": "randomization step-down p (Westfall-Young)", "cr1_naive_p": "CR1 p (naive)", "breakdown": "breakdown Mbar",
                    "share_exposed": "share exposed", "contaminated": "contaminated", "assumed": "assumed",
                    "group": "group", "statistic": "statistic", "p_value": "p-value", "note": "test",
                    "specification": "specification", "event_time": "event time", "term": "term",
                    "diff_in_se": "difference (published SE)", "coef": "evalkit", "published_coef": "published",
                    "yes": "yes", "no": "no"},
        "dummies": "Entry-month dummies",
    },
    "nb": {
        "title": "FUI-evalueringen (Fafo 2020, kapittel 8) gjenskapt med evalkit",
        "findings": "Hovedfunn",
        "warnings": "Advarsler om designet",
        "month": "{h} mnd", "published": "publisert",
        "reproduced": "evalkit", "horizon": "måneder etter tilgang", "outcome": "utfall",
        "finding_effect": "{outcome}, {after}: FUI-effekt {b} (95 % KI {lo} til {hi}; "
                          "publisert {pub})",
        "finding_effect_own": "{outcome}, {after}: FUI-effekt {b} (95 % KI {lo} til {hi})",
        "finding_within": "Tabell 8.2-8.3: {within} av {n} gjenskapte koeffisienter ligger innenfor 1 publisert "
                          "standardfeil fra den publiserte verdien ({within2} innenfor 2; største avvik {max:.2f}).",
        "finding_wild": "Med 18 fylker gir wild cluster bootstrap p-verdier for FUI-effekten fra {lo} til {hi}, "
                        "og randomisering over fylkestildelinger fra {rlo} til {rhi}.",
        "finding_pretrend": "Tester for trender før start (hendelsesstudie): {n_reject} av {n} forkaster ingen "
                            "trend på 5 %-nivå.",
        "s_table_8_1": "Tabell 8.1: nye brukere etter region og tilgangsperiode",
        "x_table_8_1": "Hvem som kom inn i hver region og periode: antall og andeler. Publiserte verdier i "
                       "klammer. Utdanningsandelene er av dem med kjent utdanning, som publisert.",
        "x_table_8_1_own": "Hvem som kom inn i hver region og periode: antall og andeler. Utdanningsandelene er "
                           "av dem med kjent utdanning.",
        "s_exclusions": "Nye brukere i hver modell",
        "x_exclusions": "Hver modell bruker dem med kjent utfall og kjente kontrollvariabler; de andre telles "
                        "etter grunn (tilgang = brukt + utelatt).",
        "s_table_8_2": "Tabell 8.2: arbeid", "s_table_8_3": "Tabell 8.3: utdanning",
        "x_table_8_2": "Lineær sannsynlighetsmodell for å være i arbeid k måneder etter tilgang, gjenskapt ved "
                       "siden av de publiserte tallene. FUI-effekten er forskjell-i-forskjell-leddet.",
        "x_table_8_2_own": "Lineær sannsynlighetsmodell for å være i arbeid k måneder etter tilgang. "
                           "FUI-effekten er forskjell-i-forskjell-leddet.",
        "x_table_8_3": "Samme modell for å være i utdanning k måneder etter tilgang.",
        "s_model": "Lineær sannsynlighetsmodell: {outcome}",
        "x_model": "Modellen i tabell 8.2-8.3 for utfallet {outcome}, k måneder etter tilgang. FUI-effekten er "
                   "forskjell-i-forskjell-leddet.",
        "s_comparison": "Publisert mot gjenskapt",
        "x_comparison": "Hvor langt hver gjenskapt koeffisient ligger fra den publiserte, målt i publiserte "
                        "standardfeil. Innenfor 1 betyr enighet innenfor utvalgsusikkerheten.",
        "s_effects": "FUI-effekten under andre spesifikasjoner",
        "x_effects": "FUI-effekten med fylkesklyngede standardfeil og uten innsatsbehov (som settes etter "
                     "tilgang og selv kan påvirkes av FUI).",
        "s_few_clusters": "Inferens med få behandlede fylker",
        "x_few_clusters": "Bare 18 fylker, 6 av dem behandlet: klyngede standardfeil blir da for små. Wild "
                          "cluster bootstrap og randomisering over fylkestildelinger gir ærlige p-verdier og "
                          "intervaller og er rapportens inferens; step-down-p-verdiene holder sjansen for en "
                          "feilaktig forkastning blant de 2 x 4 testene på 5 %. CR1 vises bare som naiv "
                          "sammenligning.",
        "s_event_study": "Hendelsesstudie av månedlige tilgangskohorter",
        "x_event_study": "Hver månedskohort etter tilgangsmåned relativt til fylkets FUI-start, sammenlignet med "
                         "fylker som ennå ikke har startet. Rader er hendelsestid, kolonner utfall og horisont.",
        "s_event_sample": "Nye brukere i hver modell i hendelsesstudien",
        "s_pretrend": "Tester for trender før start",
        "x_pretrend": "Før FUI startet skal det ikke være noen effekt: en liten p-verdi varsler at "
                      "sammenligningsfylkene fulgte en annen bane.",
        "s_sensitivity": "Følsomhet for brudd på parallelle trender",
        "x_sensitivity": "Hvor stort brudd på parallelle trender (relativt til det største før start) "
                         "konklusjonen tåler (Rambachan og Roth 2023). + merker et intervall som når kanten av "
                         "søkegitteret.",
        "s_placebo": "Placebotest",
        "x_placebo": "Samme 2x2-sammenligning mellom to perioder før FUI: en «effekt» her tyder på et problem "
                     "med designet. [berørt] merker horisonter der noen hadde nådd FUI.",
        "s_contamination": "Forurensning av sammenligningen",
        "x_contamination": "Andelen i hver gruppe som allerede var berørt av FUI ved hver horisont; en forurenset "
                           "sammenligningsgruppe trekker effekten mot null.",
        "s_provenance": "Opphav",
        "x_provenance": "Hva som laget denne rapporten.",
        "figure_title": "{outcome}, {after}",
        "fig_xlabel": "tilgangsmåned relativt til fylkets FUI-start",
        "fig_ylabel": "effekt (andel av nye brukere)",
        "ref_outcome": "utfallsmåned under FUI herfra",
        "ref_entry": "tilgang under FUI herfra",
        "fig_suptitle": "Hendelsesstudie av FUI etter månedlig tilgangskohort (fylker som ennå ikke har startet "
                        "som sammenligning)",
        "group": {"south_west_t1": "Sør/Vest, t1", "south_west_t2": "Sør/Vest, t2",
                  "rest_t1": "Resten av landet, t1", "rest_t2": "Resten av landet, t2"},
        "columns": {"entrants": "nye brukere", "used": "brukt", "estimate": "estimat", "cr1_se": "CR1 SF",
                    "cr1_p": "CR1 p", "wild_p": "wild bootstrap p", "wild_ci": "wild bootstrap 95 % KI",
                    "randomization_p": "randomisering p", "randomization_ci": "randomisering 95 % KI",
                    "romano_wolf_p": "wild step-down p (Romano-Wolf)",
                    "westfall_young_p": "randomisering step-down p (Westfall-Young)", "cr1_naive_p": "CR1 p (naiv)", "breakdown": "bruddpunkt Mbar",
                    "share_exposed": "andel berørt", "contaminated": "forurenset", "assumed": "antatt",
                    "group": "gruppe", "statistic": "testobservator", "p_value": "p-verdi", "note": "test",
                    "specification": "spesifikasjon", "event_time": "hendelsestid", "term": "ledd",
                    "diff_in_se": "avvik (publiserte SF)", "coef": "evalkit", "published_coef": "publisert",
                    "yes": "ja", "no": "nei"},
        "dummies": "Dummyer for tilgangsmåned",
    },
}

LABELS: dict[str, dict[str, str]] = {"en": _ENGLISH_TERMS, "nb": {**NORWEGIAN_LABELS, **_NORWEGIAN_MORE}}


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else an :class:`~evalkit.errors.EvalkitError`."""
    if lang not in LANGUAGES:
        raise EvalkitError(f"lang must be one of {list(LANGUAGES)} (English, Norwegian bokmål), got {lang!r}")
    return lang


def words(lang: str) -> Mapping[str, object]:
    """Section titles, explanations, column and figure labels in ``lang``."""
    return _WORDS[check_lang(lang)]


def after_entry(months: int, lang: str) -> str:
    """``"1 month after entry"``, ``"3 months after entry"`` (``"3 måneder etter tilgang"``)."""
    if check_lang(lang) == "nb":
        return f"{months} måned{'' if months == 1 else 'er'} etter tilgang"
    return f"{months} month{'' if months == 1 else 's'} after entry"


#: The exposure mark of a placebo cell (a horizon where some entrants had reached FUI).
EXPOSED = {"en": "[exposed]", "nb": "[berørt]"}

#: The design warnings in Norwegian, by code (the English text is the warning's own message).
_WARNINGS_NB = {
    "contamination": "horisont {horizon}: {who} gruppen {group}, antatt ubehandlet, hadde nådd FUI i "
                     "utfallsmåneden, så 2x2-estimatet ved denne horisonten er forurenset (en hendelsesstudie "
                     "med fylker som ennå ikke har startet som sammenligning unngår dette)",
    "bad_control": "Innsatsgruppen tildeles etter tilgang, under det nye regimet i den behandlede regionen: "
                   "reformen kan flytte den, så å kontrollere for den kan skjevvri FUI-effekten (en «dårlig "
                   "kontrollvariabel»). Sammenlign med estimatet uten den.",
    "event_study_not_estimated": "Hendelsesstudie, {outcome} {horizon} mnd.: {estimator} er ikke estimert: "
                                 "ATT(g,t)-cellen for dem som kom inn i {entry_month} i fylkene som startet "
                                 "{start_month}, kan ikke estimeres ({reason}); de andre estimatorene vises.",
    "few_clusters": "Fylkesklyngede (CR1) standardfeil bygger på {n_clusters} fylker ({n_treated_clusters} "
                    "behandlet) og én behandlet region: med så få klynger blir de for små (MacKinnon og Webb "
                    "2017); les dem som en nedre grense. {valid}",
}
_FEW_CLUSTERS_NB = {
    True: "Avsnittet om inferens med få fylker gir de gyldige testene: wild cluster bootstrap og randomisering "
          "over fylker (Conley og Taber 2011).",
    False: "Kjør med inferens for få klynger (standard; ikke --no-few-clusters) for wild cluster bootstrap og "
           "randomisering over fylker (Conley og Taber 2011).",
}


def warning_text(warning: Mapping[str, object], lang: str, *, few_clusters: bool, marker: str = "<5") -> str:
    """A coded design warning (``{"code", "message", ...}``) in ``lang``.

    English is the warning's own message; Norwegian is written from its code and context
    (``group``, ``horizon``, ``share_exposed``: ``None`` when the disclosure rule withheld
    it, then ``marker`` stands for the share; the event-study estimator, cell and reason,
    the reason in English).  ``few_clusters``: whether the run has the
    few-cluster section the warning points to.
    """
    if check_lang(lang) == "en":
        return str(warning["message"])
    code = str(warning["code"])
    if code not in _WARNINGS_NB:
        raise EvalkitError(f"no Norwegian text of the design warning {code!r}; known: {sorted(_WARNINGS_NB)}")
    share = warning.get("share_exposed")
    who = f"noen ({marker}) av" if share is None else f"{100 * float(share):.0f} % av"  # type: ignore[arg-type]
    group = str(warning.get("group", ""))
    return _WARNINGS_NB[code].format(
        horizon=warning.get("horizon"), who=who, group=_WORDS["nb"]["group"].get(group, group),  # type: ignore[union-attr]
        n_clusters=warning.get("n_clusters"), n_treated_clusters=warning.get("n_treated_clusters"),
        valid=_FEW_CLUSTERS_NB[few_clusters], outcome=label(str(warning.get("outcome", "")), "nb"),
        estimator=warning.get("estimator"), entry_month=warning.get("entry_month"),
        start_month=warning.get("start_month"), reason=warning.get("reason"),
    )


def disclosure_note(rule, lang: str) -> str:
    """The disclosure rule's note (:attr:`~evalkit.report.disclosure.DisclosureControl.note`) in ``lang``."""
    if check_lang(lang) == "en":
        return rule.note
    if not rule.enabled:
        return "Røpingskontroll er slått av: små tall vises som beregnet (bare for syntetiske eller offentlige data)."
    return (f"Røpingskontroll: antall på 1 til {rule.min_cell - 1} personer, andeler og estimater fra færre enn "
            f"{rule.min_cell}, og celler som ville avsløre dem, er skjult ({rule.marker} i tabeller, null i JSON).")


#: The names of the provenance lines of the report.
PROVENANCE = {"en": {"input": "input", "seed": "seed", "options": "options", "created": "created"},
              "nb": {"input": "inndata", "seed": "frø", "options": "valg", "created": "laget"}}


def spec_line(spec, lang: str) -> str:
    """The analysis specification as one provenance line (with the age bands when not the published ones)."""
    bands = ", ".join(f"{low}-{high}" for _, low, high in spec.age_bands())
    if check_lang(lang) == "en":
        ages = "" if spec.published_age_groups else f", ages {spec.min_age}-{spec.max_age} in bands {bands}"
        return (f"windows {spec.windows}, horizons {list(spec.horizons)}, washout {spec.washout} months, "
                f"maximum age {spec.max_age}{ages}, treated region {spec.treated_region}")
    ages = "" if spec.published_age_groups else f", alder {spec.min_age}-{spec.max_age} i gruppene {bands}"
    return (f"perioder {spec.windows}, horisonter {list(spec.horizons)}, karensperiode {spec.washout} måneder, "
            f"høyeste alder {spec.max_age}{ages}, behandlet region {spec.treated_region}")


def table_stem(outcome: str) -> str:
    """The name of an outcome's model table (files, JSON, report sections): ``table_8_2`` (employed),
    ``table_8_3`` (in education), ``model_<outcome>`` for an outcome the publication has no table of
    (``model_ever_employed``)."""
    return TABLE_KEYS[outcome][:9] if outcome in TABLE_KEYS else f"model_{outcome}"


#: An age band's term or row of a study's own bands: ``age_18_21``.
_AGE_BAND = re.compile(r"age_(\d+)_(\d+)")


def label(key: str, lang: str) -> str:
    """The readable label of a term, outcome, table row or exclusion reason (the key, spaced, when it has none).

    An age band of a study's own bands reads ``Age 18-21`` (``Alder 18-21 år``).
    """
    labels = LABELS[check_lang(lang)]
    if key in labels:
        return labels[key]
    band = _AGE_BAND.fullmatch(key)
    if band:
        low, high = band.groups()
        return f"Alder {low}-{high} år" if lang == "nb" else f"Age {low}-{high}"
    return key.replace("_", " ")


__all__ = ["EXPOSED", "LABELS", "PROVENANCE", "LANGUAGES", "after_entry", "check_lang", "disclosure_note", "label", "spec_line",
           "table_stem", "warning_text", "words"]

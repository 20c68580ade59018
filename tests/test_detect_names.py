"""Person names in free prose, through the public ``guardllm.scan`` API.

The labelled sentences live in tests/data/prose_names*.txt ([[Name]] marks a name; lines without one are
negatives).  They are scored with the rule of the shared scorer: a name counts only when every letter of it
is masked, and a PERSON finding that touches no labelled name is a false positive.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import guardllm

sys.path.insert(0, str(Path(__file__).parent / "data"))
import prose_names

FILES = ("prose_names.txt", "prose_names_holdout.txt", "prose_names_holdout2.txt", "prose_names_holdout3.txt")


def persons(text: str) -> list[str]:
    return [f.text for f in guardllm.scan(text) if f.entity_type == "PERSON"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Please email Dana Whitfield about the refund.", ["Dana Whitfield"]),
        ("Send Priya Raghunathan the Q3 report before Friday.", ["Priya Raghunathan"]),
        ("Refund Dana Whitfield, card 4111 1111 1111 1111.", ["Dana Whitfield"]),
        ("Refund Dana Whitfield, dana.whitfield@example.com", ["Dana Whitfield"]),
        ("Hi Tom, can you check order #88213?", ["Tom"]),
        ("Hello Priya! The contract is attached.", ["Priya"]),
        ("Thanks, Ana. I will take it from here.", ["Ana"]),
        ("Hi Oluwaseun,\nplease find the draft below.", ["Oluwaseun"]),
        ("Hi Kwame and Adwoa, the agenda is attached.", ["Kwame", "Adwoa"]),
        ("@Lindiwe pls approve", ["Lindiwe"]),
        ("Rohan: merged, deploying now", ["Rohan"]),
        ("Escalate to Arvid Lindqvist if the vendor does not reply.", ["Arvid Lindqvist"]),
        ("Tariq Haddad approved the budget yesterday.", ["Tariq Haddad"]),
        ("Pt Harold Jennings seen today for follow up.", ["Harold Jennings"]),
        ("Cheers, Malak", ["Malak"]),
    ],
)
def test_names_in_prose_are_found_without_the_words_around_them(text: str, names: list[str]) -> None:
    assert persons(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "Please call Customer Support about the refund.",
        "Send Feedback to the Product Team before Friday.",
        "Hi Team, the release notes are attached.",
        "Hello World! This is our first newsletter.",
        "Thanks, Everyone. See you Monday.",
        "Refund Processed Successfully",
        "Refund Request Pending Review",
        "Escalated to Tier Two Support.",
        "Spoke to Wells Fargo about the chargeback.",
        "We migrated from Google Workspace to Microsoft Teams.",
        "Our offices in New York and San Francisco are open.",
        "The venue is Royal Albert Hall.",
        "Visit Baker Street Station for pickup.",
        "History of Atrial Fibrillation on Warfarin.",
        "Flights to Hong Kong and Kuala Lumpur are delayed.",
        "Meet Our New Mobile App!",
        "Ask Me Anything with the CTO on Friday.",
        "@Override public void onCreate()",
        "thanks Dependabot",
        "Kind regards,\nThe Billing Team",
    ],
)
def test_capitalised_words_that_are_no_names_stay_clean(text: str) -> None:
    assert persons(text) == []


def test_a_name_that_is_also_a_word_still_counts_after_a_greeting() -> None:
    assert persons("Hi Grace, the room is booked.") == ["Grace"]
    assert persons("The Grace Period ends on Friday.") == []


@pytest.mark.parametrize("name", FILES)
def test_labelled_prose_meets_the_recall_and_precision_targets(name: str) -> None:
    res = prose_names.score(prose_names.load(name), guardllm.scan)
    assert res["names"] >= 50
    assert res["recall"] >= 0.93, res["misses"]
    assert res["precision"] >= 0.94, res["fp_values"]


def test_all_labelled_prose_together() -> None:
    recs = [r for name in FILES for r in prose_names.load(name)]
    assert sum(1 for r in recs if r["spans"]) >= 150
    assert sum(1 for r in recs if not r["spans"]) >= 100
    res = prose_names.score(recs, guardllm.scan)
    assert res["recall"] >= 0.97, res["misses"]
    assert res["precision"] >= 0.98, res["fp_values"]


def test_name_detection_is_deterministic_and_keeps_offsets() -> None:
    text = "Hi Tom,\nplease email Dana Whitfield and ping @Nadia Rahman.\nThanks, Ana."
    first = guardllm.scan(text)
    assert first == guardllm.scan(text)
    for f in first:
        assert text[f.start : f.end] == f.text


LAYOUT_FILES = ("layout_names.txt", "layout_names_holdout.txt")


@pytest.mark.parametrize("name", LAYOUT_FILES)
def test_names_in_layouts_meet_the_recall_and_precision_targets(name: str) -> None:
    res = prose_names.score(prose_names.load(name), guardllm.scan)
    assert res["names"] >= 40
    assert res["recall"] >= 0.95, res["misses"]
    assert res["precision"] >= 0.97, res["fp_values"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("SHIP TO\nMARTA KOWALSKA\n12 Lipowa Street", ["MARTA KOWALSKA"]),
        ("PATIENT: HENDRIKS, JAN\nDOB on file", ["HENDRIKS, JAN"]),
        ("Apologies: Wiremu, Desta", ["Wiremu", "Desta"]),
        ("- [ ] Kasimir: follow up on the contract", ["Kasimir"]),
        ("[10:42] Mirela: can you check the logs?", ["Mirela"]),
        ("Attendees were Lucan, Marisol and Birgit.", ["Lucan", "Marisol", "Birgit"]),
        ("the claimant, Petronella, reported the theft", ["Petronella"]),
        ("Can you ping Ludovica about the PO?", ["Ludovica"]),
        ("This needs Ebo Quansah's approval.", ["Ebo Quansah"]),
        ("talked to giulia mensah yesterday", ["giulia mensah"]),
        ("Thanks for the fix.\n— Margot", ["Margot"]),
        ("Discharged home with Nadia (caregiver).", ["Nadia"]),
        ("Hello ANGUS,", ["ANGUS"]),
    ],
)
def test_layout_names_are_found(text: str, names: list[str]) -> None:
    assert persons(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "Morgan Stanley raised its price target.",
        "We moved the account to Charles Schwab last year.",
        "The Louis Vuitton bag was returned.",
        "Dear Applicant,\nThank you for applying.",
        "- [ ] Finance to send the invoice",
        "[10:43] Bot: build passed",
        "SHIP TO\nWAREHOUSE 4\n12 Dock Road",
        "Author: LangChain\nLicense: MIT",
        "- Noise (md) probe that identifies malformed text",
        "- Lockfiles (pylock)",
        "The community would like to thank Keepsafe\n(https://example.com) for its support.",
        "HTTP/1.1 Message Syntax and Routing",
        "See also Rich's sister project, Textual.",
        "Please ping Ops about the outage.",
        "Could Support review the draft?",
        "talked to the landlord yesterday about the lease",
    ],
)
def test_layout_lookalikes_stay_clean(text: str) -> None:
    assert persons(text) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("PT: HENDRIKS, JAN", ["HENDRIKS, JAN"]),
        ("Dear Mr HENDRIKS,", ["HENDRIKS"]),
        ("Ms. SMITH, JANE", ["SMITH, JANE"]),
        ("-- \nIvo", ["Ivo"]),
        ("Action items:\n- Lars: follow up\n- Beatriz: draft", ["Lars", "Beatriz"]),
        ("- [ ] @harriet to send deck", ["harriet"]),
        ("@here please review", []),
        ("mail a@lars.com", []),
    ],
)
def test_titles_signatures_bullets_and_handles(text: str, names: list[str]) -> None:
    assert persons(text) == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Lorenzo flagged the vendor risk.", ["Lorenzo"]),
        ("Apologies from Wiremu and Desta", ["Wiremu", "Desta"]),
        ("[10:42] harriet: ok", ["harriet"]),
        ("Lead: Inbound", []),
        ("Speaker: Bose", []),
        ("— Anonymous", []),
        ("Apologies: Johnson & Johnson", []),
    ],
)
def test_meeting_notes_and_weak_labels(text: str, names: list[str]) -> None:
    assert persons(text) == names

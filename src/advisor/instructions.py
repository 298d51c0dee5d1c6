"""Sentences of a document that instruct the assistant, or send the reader to hand over credentials.

Ingest leaves them out of the index (reported with their reason, shown by `advisor ingest`), so they can never
be retrieved, selected or quoted: an extractive answer quotes what the index holds. The patterns are narrow on
purpose and measured on every corpus in evals/ (no sentence of them is flagged; see tests/test_instructions.py).
Advice *against* such acts ("geef nooit je wachtwoord") is text, not an instruction.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
# Addressing the assistant: override its instructions, give it a new role, dictate its answers.
_OVERRIDE = re.compile(r"\b(?:negeer|vergeet|omzeil|overschrijf|ignore|disregard|forget)\b.{0,40}?"
                       r"\b(?:instructies?|opdrachten?|regels|richtlijnen|instructions?|rules|prompts?)\b", _I)
_ROLE = re.compile(r"\b(?:je bent nu|jij bent nu|vanaf nu ben je|doe alsof je|you are now|act as|pretend to be|"
                   r"systeemprompt|system ?prompt|jailbreak|developer mode|ontwikkelaarsmodus)\b", _I)
_DICTATE = re.compile(r"\b(?:antwoord|reageer|zeg|answer|reply)\b.{0,30}?\b(?:voortaan|vanaf nu|altijd alleen|"
                      r"from now on)\b", _I)
_ASSISTANT = re.compile(r"\b(?:assistent|chatbot|taalmodel|adviseur|ai|llm|model)\b", _I)
_TO_ASSISTANT = re.compile(r"\b(?:als|beste|hé|hey|dear)\s+(?:assistent|chatbot|taalmodel|ai|llm)\b", _I)
# Sending the reader to a link to hand over credentials (phishing).
_CREDENTIALS = re.compile(r"\b(?:wachtwoord\w*|inloggegevens|inlogcode\w*|pincode\w*|pin-code\w*|digid[- ]?code\w*|"
                          r"tan[- ]?code\w*|creditcard\w*|beveiligingscode\w*|verificatiecode\w*|sms-code\w*|"
                          r"bankgegevens|passwords?)\b", _I)
_LINK = re.compile(r"https?://|\bwww\.|\blink\b|\bklik\b|\bbezoek\b|\bga naar\b", _I)
_HAND_OVER = re.compile(r"\b(?:vul|voer|geef|stuur|deel|typ|mail|log|bevestig|verifieer|enter|send)\b", _I)
_NEGATION = re.compile(r"\b(?:nooit|niet|geen|nimmer|never|not)\b", _I)


def instruction_reason(sentence: str) -> str | None:
    """Why `sentence` is an instruction rather than content ("instruction to the assistant" /
    "asks for credentials"), or None."""
    if _OVERRIDE.search(sentence) or _ROLE.search(sentence) or _TO_ASSISTANT.search(sentence):
        return "instruction to the assistant"
    if _DICTATE.search(sentence) and (_ASSISTANT.search(sentence) or re.search(r"\bmet\b", sentence, _I)):
        return "instruction to the assistant"
    if (_CREDENTIALS.search(sentence) and _LINK.search(sentence) and _HAND_OVER.search(sentence)
            and not _NEGATION.search(sentence)):
        return "asks for credentials"
    return None

"""Everything Tend says about integration, in one readable place.

Phases, prompts, the practices catalogue, the default support resources, moods, reminder
copy and the names of things a person sees live here, not in code or templates, so they can
be read, reviewed and translated as one piece of writing. Ids are stable: entries, chosen
practices and reminders store them. (Messages about one form's fields stay beside the rule
that checks them.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# --- Phases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    key: str
    name: str
    summary: str


PHASES: dict[str, Phase] = {
    "reflection": Phase(
        "reflection",
        "Immediate reflection",
        "The first days are tender. Catch what is still close: sensations, images, messages, "
        "dreams. There is nothing to figure out yet.",
    ),
    "meaning": Phase(
        "meaning",
        "Meaning-making",
        "Alongside integration therapy, threads begin to show: feelings, memories, old "
        "beliefs seen in a new light. Follow them slowly.",
    ),
    "embodiment": Phase(
        "embodiment",
        "Embodiment and action",
        "Letting what you learned live in your days: small rituals, kinder boundaries, the "
        "body, creativity, purpose. Change can be gradual and still be real.",
    ),
}
PHASE_ORDER = ["reflection", "meaning", "embodiment"]
DEFAULT_REFLECTION_DAYS = 3
DEFAULT_MEANING_DAYS = 14


# --- Prompts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    id: str
    text: str
    hint: str = ""
    # None: a core question, offered in every phase.
    phase: str | None = None


CORE_QUESTIONS: list[Prompt] = [
    Prompt(
        "core-feel",
        "What did I feel?",
        "Any feeling counts, even a quiet or confusing one. Name it, or just describe it.",
    ),
    Prompt(
        "core-see",
        "What did I see?",
        "Colours, shapes, places, figures, or nothing at all. Write it as it comes back.",
    ),
    Prompt(
        "core-meet",
        "What part of myself did I meet or remember?",
        "A younger you, a forgotten strength, a voice you know. Let it speak a little.",
    ),
    Prompt(
        "core-shift",
        "What’s asking to shift in my life, now that I know this?",
        "Not a plan yet, only a noticing. Small is fine.",
    ),
]

PHASE_PROMPTS: list[Prompt] = [
    # Immediate reflection: close to the experience, sensory, no interpretation asked for.
    Prompt(
        "reflect-body-now",
        "How does your body feel right now, compared with before the journey?",
        "Start at your feet and move slowly upwards. Heavy, light, buzzing, soft…",
        "reflection",
    ),
    Prompt(
        "reflect-image",
        "Which image from the journey keeps returning to you?",
        "Describe it as if to someone who will never see it: colour, texture, distance.",
        "reflection",
    ),
    Prompt(
        "reflect-message",
        "Was there a message, a word or a phrase that stayed with you?",
        "Write it down exactly as you remember it, even if it makes little sense yet.",
        "reflection",
    ),
    Prompt(
        "reflect-dream",
        "Did anything come to you in sleep or in the half-awake moments since?",
        "Dreams after a journey can be vivid or faint. A single fragment is enough.",
        "reflection",
    ),
    Prompt(
        "reflect-sound",
        "Was there music or a sound that moved something in you?",
        "What happened inside you when you heard it?",
        "reflection",
    ),
    Prompt(
        "reflect-surprise",
        "What surprised you?",
        "Something you expected that didn’t come, or something that came unasked.",
        "reflection",
    ),
    Prompt(
        "reflect-tender",
        "What feels tender or raw today?",
        "You don’t need to fix it. Only notice where it lives and how it would like to be held.",
        "reflection",
    ),
    Prompt(
        "reflect-care",
        "What would feel caring for you in the next few hours?",
        "Rest, water, a walk, company, quiet. Let the answer be simple.",
        "reflection",
    ),
    Prompt(
        "reflect-keep",
        "Is there something from the journey you want to keep safe?",
        "A moment, a feeling, a sense of space. Write it here so it is not lost.",
        "reflection",
    ),
    Prompt(
        "reflect-edges",
        "Was there a moment that was hard or frightening?",
        "Only as much as feels okay today. You can stop after a sentence, and you can bring "
        "it to your therapist.",
        "reflection",
    ),
    # Meaning-making: threads, symbols, memory, belief, relationship.
    Prompt(
        "meaning-symbol",
        "If one image from your journey were a symbol, what might it stand for?",
        "There is no right reading. Try two or three possibilities and see which feels warm.",
        "meaning",
    ),
    Prompt(
        "meaning-memory",
        "Did a memory come back? What does it want you to know now?",
        "Write the memory first, then what you understand about it today.",
        "meaning",
    ),
    Prompt(
        "meaning-belief",
        "Which belief about yourself looked different from inside the journey?",
        "“I am…”, “I always…”, “I can’t…”. How did it look from there?",
        "meaning",
    ),
    Prompt(
        "meaning-relationship",
        "Who came to mind during or after the journey?",
        "What did you feel toward them? Is there something unsaid?",
        "meaning",
    ),
    Prompt(
        "meaning-younger-self",
        "What would you say to the younger you that you met or remembered?",
        "Write it as a short letter, in the words you would have needed then.",
        "meaning",
    ),
    Prompt(
        "meaning-pattern",
        "Is there a thread between this journey and earlier ones, or your life?",
        "A repeating image, feeling or theme. Connections can be loose.",
        "meaning",
    ),
    Prompt(
        "meaning-emotion-body",
        "Where in your body do you feel the strongest emotion from this week?",
        "Put a hand there for a moment. What does that place seem to want?",
        "meaning",
    ),
    Prompt(
        "meaning-resistance",
        "Is there something you are not quite ready to look at?",
        "You can name it without opening it. Noticing the door is already movement.",
        "meaning",
    ),
    Prompt(
        "meaning-therapy",
        "What would you like to bring to your next integration session?",
        "A question, an image, a feeling that keeps returning. Tend can print a brief for you.",
        "meaning",
    ),
    # Embodiment and action: living it, gently and concretely.
    Prompt(
        "embody-ritual",
        "What small daily ritual could help you remember what you learned?",
        "Something that takes less than five minutes: a breath, a candle, a sentence "
        "in the morning.",
        "embodiment",
    ),
    Prompt(
        "embody-boundary",
        "Where is a kinder boundary asking to be set?",
        "With a person, a habit, your phone, your work. What would it sound like, said gently?",
        "embodiment",
    ),
    Prompt(
        "embody-body-practice",
        "How has your body responded to movement or breath this week?",
        "Any practice counts, even a slow walk or three long exhales.",
        "embodiment",
    ),
    Prompt(
        "embody-nervous-system",
        "What helps your nervous system settle when it feels stirred up?",
        "Make a small list you can come back to on a harder day.",
        "embodiment",
    ),
    Prompt(
        "embody-creative",
        "If you made something from your journey, what would it be?",
        "A drawing, a few lines of poetry, a sound, a dance in the kitchen. It can stay private.",
        "embodiment",
    ),
    Prompt(
        "embody-purpose",
        "What feels more meaningful to you than it did before?",
        "And what feels less important now?",
        "embodiment",
    ),
    Prompt(
        "embody-relationship-action",
        "Is there a conversation or a reconnection you feel ready for?",
        "You don’t have to do it yet. What would the first small step be?",
        "embodiment",
    ),
    Prompt(
        "embody-noticing-change",
        "What have you done differently this week, even slightly?",
        "Integration often shows up quietly: a pause before reacting, a softer thought.",
        "embodiment",
    ),
    Prompt(
        "embody-self-compassion",
        "Where have you been hard on yourself lately, and what would compassion say?",
        "Try writing a sentence from the kindest part of you.",
        "embodiment",
    ),
    Prompt(
        "embody-nature",
        "When did you last feel connected to something larger than you?",
        "A tree, the sea, a song, a crowd. Where could you find that again this week?",
        "embodiment",
    ),
]

PREPARING_PROMPTS: list[Prompt] = [
    Prompt(
        "prepare-why",
        "What is bringing you to this journey now?",
        "Not what you should want: what is actually here.",
    ),
    Prompt(
        "prepare-hope",
        "What are you hoping to understand, meet or let go of?",
        "An intention is a direction, not a demand. It can be a question.",
    ),
    Prompt(
        "prepare-fear",
        "Is there anything you are nervous about?",
        "Naming it beforehand, and sharing it with your therapist, can make it lighter.",
    ),
    Prompt(
        "prepare-support",
        "Who or what will support you in the days after?",
        "A person to call, a quiet afternoon, food in the fridge, a walk you love.",
    ),
]

ALL_PROMPTS: dict[str, Prompt] = {
    p.id: p for p in CORE_QUESTIONS + PHASE_PROMPTS + PREPARING_PROMPTS
}


def prompts_for_phase(phase: str) -> list[Prompt]:
    """The core questions, then the phase's own prompts, in a stable order."""
    return CORE_QUESTIONS + [p for p in PHASE_PROMPTS if p.phase == phase]


# --- Practices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Practice:
    id: str
    group: str
    name: str
    summary: str
    how_to: list[str] = field(default_factory=list)
    # The days ticked when choosing it (0 is Monday); None ticks every day.
    default_days: tuple[int, ...] | None = None
    schedule_hint: str = ""


PRACTICE_GROUPS: dict[str, str] = {
    "therapy": "Therapeutic support",
    "journaling": "Journaling and voice memos",
    "body": "Body-based practices",
    "creative": "Creative expression",
    "connection": "Community and connection",
    "nature": "Nature time",
    "ritual": "Rituals and symbolic acts",
}

PRACTICES: list[Practice] = [
    Practice(
        "integration-session",
        "therapy",
        "Integration session",
        "Time with your therapist to unfold what the journey opened.",
        [
            "Before the session, skim your entries since the journey, or print the "
            "integration brief.",
            "Choose one or two things you most want to talk about; the rest can wait.",
            "Afterwards, write a few lines about what stayed with you.",
        ],
        default_days=(),
        schedule_hint="Usually one day a week: tick the day of your session.",
    ),
    Practice(
        "check-in-support",
        "therapy",
        "Check in with support",
        "A short call or message to someone on your care team or a trusted person.",
        [
            "Say how you are in one honest sentence.",
            "Ask for what you need, even if it is only to be heard.",
            "If things feel heavy, the Support page has people to call at any hour.",
        ],
    ),
    Practice(
        "morning-pages",
        "journaling",
        "Morning pages",
        "Writing whatever comes, first thing, before the day fills up.",
        [
            "Sit with something warm to drink and write for ten minutes without stopping.",
            "Don’t reread or correct; it is for the writing, not the reading.",
            "If nothing comes, write “nothing comes” until something does.",
        ],
    ),
    Practice(
        "voice-memo",
        "journaling",
        "Voice memo",
        "Speaking instead of writing, for days when words flow better aloud.",
        [
            "Find a private spot and record a few minutes on your phone.",
            "Start with “Right now I notice…” and let it wander.",
            "Later, note a line or two from it in Tend so it stays connected to your journey.",
        ],
    ),
    Practice(
        "evening-review",
        "journaling",
        "Evening review",
        "Three gentle questions to close the day.",
        [
            "What felt alive today?",
            "What felt hard?",
            "What is one thing you would like to carry into tomorrow?",
        ],
    ),
    Practice(
        "gentle-yoga",
        "body",
        "Gentle yoga",
        "Slow movement that lets the body have its say.",
        [
            "Ten to twenty minutes is plenty. Choose restorative or yin styles in the first weeks.",
            "Move only as far as feels kind; stillness counts.",
            "End lying down for a few breaths and notice what changed.",
        ],
    ),
    Practice(
        "breathwork",
        "body",
        "Soothing breath",
        "Long, easy exhales that tell the nervous system it is safe.",
        [
            "Sit or lie comfortably. Breathe in through the nose for a count of four.",
            "Breathe out slowly for a count of six, as if through a straw.",
            "Repeat for three to five minutes. If you feel dizzy, return to normal breathing.",
        ],
    ),
    Practice(
        "body-scan",
        "body",
        "Somatic check-in",
        "Noticing sensation without needing to change it, in the spirit of somatic experiencing.",
        [
            "Pause and feel where your body touches the chair or the floor.",
            "Slowly notice sensations from head to toe: warmth, tightness, tingling, ease.",
            "If something is intense, shift attention to a place that feels neutral or pleasant, "
            "then back. Go at your own pace.",
        ],
    ),
    Practice(
        "shaking",
        "body",
        "Shaking it out",
        "A minute or two of loose shaking to let stirred-up energy move through.",
        [
            "Stand with soft knees and let your hands, arms and shoulders shake loosely.",
            "Let it spread to the legs if that feels good. Breathe out with a sigh.",
            "Stop, stand still, and notice the hum afterwards.",
        ],
    ),
    Practice(
        "art-making",
        "creative",
        "Drawing or painting",
        "Giving a shape and colour to what words can’t hold.",
        [
            "Use whatever is at hand: pencil, crayons, a notes app.",
            "Start with a colour that matches a feeling from the journey.",
            "It is not meant to be good. Date it, and keep it if you like.",
        ],
    ),
    Practice(
        "poetry",
        "creative",
        "A few lines of poetry",
        "Short, unpolished lines that catch an image or a feeling.",
        [
            "Choose one image from your journey.",
            "Write three to six lines about it without rhyming.",
            "Read it aloud once, quietly, to yourself.",
        ],
    ),
    Practice(
        "free-movement",
        "creative",
        "Free movement",
        "Moving to music however the body wants, with nobody watching.",
        [
            "Pick one or two songs that match or gently shift your mood.",
            "Let the movement be small or large; eyes can be closed.",
            "Notice which movements felt like yours.",
        ],
    ),
    Practice(
        "music-listening",
        "creative",
        "Listening deeply",
        "Lying down with music, as a small echo of the journey’s space.",
        [
            "Choose music without lyrics, perhaps something from your session playlist.",
            "Lie down, cover your eyes, and just listen for one or two tracks.",
            "Afterwards, note any image or feeling that came.",
        ],
    ),
    Practice(
        "trusted-conversation",
        "connection",
        "A conversation with someone you trust",
        "Sharing a piece of your experience, at the pace that feels right.",
        [
            "Choose someone who listens more than they advise.",
            "You decide how much to share; “it was meaningful” is enough.",
            "Notice how it feels to be witnessed.",
        ],
    ),
    Practice(
        "integration-circle",
        "connection",
        "Integration circle",
        "Peer groups where people share what their journeys brought.",
        [
            "Look for a circle run by trained facilitators, in person or online.",
            "You can attend and only listen the first time.",
            "Afterwards, jot down one thing someone said that stayed with you.",
        ],
    ),
    Practice(
        "nature-walk",
        "nature",
        "Slow walk outside",
        "A walk with no destination, paying attention to what is alive around you.",
        [
            "Leave the headphones at home for once, if that feels okay.",
            "Walk a little slower than usual. Notice five things you can see, hear or smell.",
            "Find one thing that catches you and stay with it for a minute.",
        ],
    ),
    Practice(
        "sit-spot",
        "nature",
        "Sit spot",
        "Returning to the same outdoor place to sit quietly and watch it change.",
        [
            "Choose a spot near home: a bench, a tree, a balcony.",
            "Sit for ten minutes and let your senses open.",
            "Over weeks, notice what changes there, and in you.",
        ],
    ),
    Practice(
        "altar",
        "ritual",
        "A small altar",
        "A place for objects that hold the meaning of your journey.",
        [
            "Choose a shelf or a corner. Place one or two meaningful objects there.",
            "Visit it briefly each day: light a candle, or simply look.",
            "Change it as your integration changes.",
        ],
    ),
    Practice(
        "letting-go",
        "ritual",
        "Letting-go ritual",
        "A symbolic act to release something you no longer need to carry.",
        [
            "Write what you are ready to let go of on a piece of paper.",
            "Tear it up, bury it, or let water carry it away, whatever feels right and safe.",
            "Take a breath and notice the space that is left.",
        ],
    ),
    Practice(
        "intention-reading",
        "ritual",
        "Reading your intention",
        "Returning to the intention you set, as a daily touchstone.",
        [
            "Read your intention aloud in the morning.",
            "Ask: what would honouring it look like today, in one small way?",
            "In the evening, notice without judging whether that happened.",
        ],
    ),
]
PRACTICES_BY_ID: dict[str, Practice] = {p.id: p for p in PRACTICES}


def practices_by_group() -> list[tuple[str, str, list[Practice]]]:
    """(group id, group name, practices) in catalogue order."""
    return [
        (key, name, [p for p in PRACTICES if p.group == key])
        for key, name in PRACTICE_GROUPS.items()
    ]


# --- Support --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportResource:
    name: str
    description: str
    contact: str
    # tel:, sms: or https: link; empty when there is nothing to tap.
    href: str = ""


DEFAULT_SUPPORT_RESOURCES: list[SupportResource] = [
    SupportResource(
        "988 Suicide & Crisis Lifeline",
        "Call or text, any time, if you are in crisis or worried about yourself.",
        "Call or text 988",
        "tel:988",
    ),
    SupportResource(
        "Crisis Text Line",
        "Text with a trained crisis counselor, any time.",
        "Text HOME to 741741",
        "sms:741741?&body=HOME",
    ),
    SupportResource(
        "Fireside Project",
        "Psychedelic peer support, during or after a psychedelic experience.",
        "Call or text 62-FIRESIDE (623-473-7433)",
        "tel:+16234737433",
    ),
    SupportResource(
        "Local emergency number",
        "If you or someone else is in immediate danger, call your local emergency "
        "number (911 in the US, 112 in Europe).",
        "911 / 112",
        "",
    ),
]


# --- Journal --------------------------------------------------------------------------------

MOODS: dict[int, str] = {
    1: "Heavy",
    2: "Low",
    3: "Steady",
    4: "Light",
    5: "Open",
}

INTENTION_STATUSES: dict[str, str] = {
    "active": "Active",
    "integrated": "Integrated",
    "let_go": "Let go",
}

WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

SAFETY_PLAN_FIELDS: dict[str, tuple[str, str]] = {
    "warning_signs": (
        "Warning signs",
        "Thoughts, feelings or situations that tell me a hard time may be starting.",
    ),
    "what_helps": (
        "What helps me",
        "Things I can do on my own to feel a little steadier: places, activities, sensations.",
    ),
    "people_places": (
        "People and places",
        "People I can reach out to, and places where I feel safe or less alone.",
    ),
    "professionals": (
        "Professionals to call",
        "My therapist, doctor or a crisis line, with their numbers.",
    ),
}


# --- Gentle capture: feelings, the body, how it feels ---------------------------------------
# Ids are stored on entries (webapp.journal.capture); names may change freely.


@dataclass(frozen=True)
class FeelingFamily:
    key: str
    name: str
    feelings: dict[str, str]  # feeling id -> the word a person taps


FEELING_FAMILIES: list[FeelingFamily] = [
    FeelingFamily("joy", "Joy", {
        "joyful": "Joyful", "grateful": "Grateful", "relieved": "Relieved",
        "playful": "Playful", "hopeful": "Hopeful",
    }),
    FeelingFamily("sadness", "Sadness", {
        "sad": "Sad", "grieving": "Grieving", "lonely": "Lonely", "tearful": "Tearful",
        "disappointed": "Disappointed",
    }),
    FeelingFamily("fear", "Fear", {
        "afraid": "Afraid", "anxious": "Anxious", "unsettled": "Unsettled",
        "overwhelmed": "Overwhelmed",
    }),
    FeelingFamily("anger", "Anger", {
        "angry": "Angry", "frustrated": "Frustrated", "irritated": "Irritated",
        "resentful": "Resentful",
    }),
    FeelingFamily("surprise", "Surprise", {
        "surprised": "Surprised", "amazed": "Amazed", "confused": "Confused",
        "startled": "Startled",
    }),
    FeelingFamily("disgust", "Disgust", {
        "disgusted": "Disgusted", "uncomfortable": "Uncomfortable", "ashamed": "Ashamed",
    }),
    FeelingFamily("calm", "Calm", {
        "calm": "Calm", "peaceful": "Peaceful", "grounded": "Grounded", "rested": "Rested",
    }),
    FeelingFamily("tender", "Tender", {
        "tender": "Tender", "raw": "Raw", "vulnerable": "Vulnerable", "soft": "Soft",
    }),
    FeelingFamily("open", "Open", {
        "open": "Open", "curious": "Curious", "connected": "Connected",
        "spacious": "Spacious",
    }),
    FeelingFamily("numb", "Numb", {
        "numb": "Numb", "flat": "Flat", "distant": "Distant", "tired": "Tired",
    }),
    FeelingFamily("awe", "Awe", {
        "awe": "In awe", "wonder": "Wonder", "reverent": "Reverent", "expansive": "Expansive",
    }),
]
FEELINGS: dict[str, str] = {
    key: word for family in FEELING_FAMILIES for key, word in family.feelings.items()
}
FEELING_FAMILY_OF: dict[str, str] = {
    key: family.key for family in FEELING_FAMILIES for key in family.feelings
}
# How strong a feeling is, when the person says so.
INTENSITIES: dict[int, str] = {1: "A little", 2: "Quite", 3: "Very"}
# One tap from Today: a few feelings anyone can reach for.
CHECK_IN_FEELINGS = ["calm", "tender", "joyful", "sad", "anxious", "numb"]


@dataclass(frozen=True)
class BodyRegion:
    key: str
    name: str
    side: str  # "front", "back" or "both"


BODY_REGIONS: dict[str, BodyRegion] = {
    region.key: region
    for region in [
        BodyRegion("head", "Head", "front"),
        BodyRegion("throat", "Throat", "front"),
        BodyRegion("chest", "Chest and heart", "front"),
        BodyRegion("belly", "Belly", "front"),
        BodyRegion("pelvis", "Pelvis", "front"),
        BodyRegion("back-of-head", "Back of the head", "back"),
        BodyRegion("neck", "Neck and shoulders", "back"),
        BodyRegion("upper-back", "Upper back", "back"),
        BodyRegion("lower-back", "Lower back", "back"),
        BodyRegion("hips", "Hips", "back"),
        BodyRegion("left-arm", "Left arm", "both"),
        BodyRegion("right-arm", "Right arm", "both"),
        BodyRegion("left-hand", "Left hand", "both"),
        BodyRegion("right-hand", "Right hand", "both"),
        BodyRegion("legs", "Legs", "both"),
        BodyRegion("feet", "Feet", "both"),
    ]
}
BODY_SIDES: dict[str, str] = {"front": "Front", "back": "Back"}
BODY_QUALITIES: dict[str, str] = {
    "warm": "Warm",
    "cool": "Cool",
    "tight": "Tight",
    "tingling": "Tingling",
    "heavy": "Heavy",
    "light": "Light",
    "open": "Open",
    "aching": "Aching",
    "buzzing": "Buzzing",
    "still": "Still",
}
# Capture's voice slot: one tap to record, one to stop.
CAPTURE_VOICE_HINT = (
    "Saying it aloud is fine, lying down too. It stays on this device until you save."
)

# --- Appearance -----------------------------------------------------------------------------

THEMES: dict[str, str] = {"system": "Like this device", "light": "Light", "dark": "Dark"}


# --- The security log -----------------------------------------------------------------------

SIGNED_OUT_AFTER_WRONG_PINS = (
    "That was one PIN too many, so this device is signed out. Please sign in with your "
    "password. Anything you wrote here that has not synced yet is still on this device."
)

SECURITY_EVENT_LABELS: dict[str, str] = {
    "account_created": "Account created",
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in attempt",
    "password_changed": "Password changed",
    "session_revoked": "A device was signed out",
    "export": "Journal exported",
    "push_device_added": "Reminders turned on for a device",
    "app_lock_set": "App lock turned on",
    "app_lock_removed": "App lock turned off",
    "unlock_failed": "Wrong app lock PIN",
    "signed_out_wrong_pins": "A device was signed out after too many wrong PINs",
    "share_created": "A private link was made",
    "share_revoked": "A private link was revoked",
    "share_opened": "A private link was opened",
    "recovery_codes_created": "New recovery codes made",
    "recovery_code_used": "Password set with a recovery code",
    "password_reset": "Password reset from an email link",
    "account_disabled": "Account paused by the host",
    "account_enabled": "Account opened again by the host",
    "import": "A journal was imported",
}


# --- Reminders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArcStep:
    """One check-in after a journey: when, and what to gently ask."""

    name: str
    offset: timedelta
    phase: str
    title: str
    body: str


JOURNEY_ARC: tuple[ArcStep, ...] = (
    ArcStep("2h", timedelta(hours=2), "reflection", "A soft landing",
            "What did you feel or see? A few words or a single image is plenty."),
    ArcStep("24h", timedelta(hours=24), "reflection", "A day later",
            "Any dreams, sensations or pictures still with you today?"),
    ArcStep("72h", timedelta(hours=72), "reflection", "Three days on",
            "What part of yourself did you meet or remember?"),
    ArcStep("1w", timedelta(weeks=1), "meaning", "One week on",
            "Which thread from your journey keeps returning? What might it mean to you?"),
    ArcStep("2w", timedelta(weeks=2), "meaning", "Two weeks on",
            "Has an old belief about yourself begun to soften or shift?"),
    ArcStep("1m", timedelta(days=30), "embodiment", "A month on",
            "What's asking to shift in your life, now that you know this?"),
    ArcStep("3m", timedelta(days=91), "embodiment", "Three months on",
            "What have you carried forward from your journey, and what would you like "
            "to tend next?"),
)

INTENTION_REVISITS: tuple[tuple[str, timedelta], ...] = (
    ("3d", timedelta(days=3)),
    ("2w", timedelta(weeks=2)),
    ("6w", timedelta(weeks=6)),
)


@dataclass(frozen=True)
class ReminderCopy:
    title: str
    body: str


INTENTION_REVISIT_COPY = ReminderCopy(
    "Revisiting an intention",
    "How is the intention you set sitting with you now? Has it changed shape?",
)
PRACTICE_REMINDER_COPY = ReminderCopy(
    "A moment for your practice",
    "Your practice is here whenever you are ready. Even a few breaths count.",
)
TEST_REMINDER_COPY = ReminderCopy(
    "Tend is with you",
    "This is how a gentle reminder will look. Nothing else to do.",
)


def practice_reminder_title(practice_name: str | None) -> str:
    if practice_name:
        return f"A moment for {practice_name.lower()}"
    return PRACTICE_REMINDER_COPY.title


# --- When something goes wrong --------------------------------------------------------------

ERROR_MESSAGES: dict[int, tuple[str, str]] = {
    400: (
        "Something in that request didn’t look right",
        "Nothing was changed. Reloading the page and trying again usually helps.",
    ),
    403: ("That isn’t open to you", "Nothing was changed."),
    404: ("We couldn’t find that", "It may have been deleted, or the link may be incomplete."),
    405: ("That can’t be done here", "Nothing was changed."),
    413: (
        "That was more than Tend can take at once",
        "Nothing was saved. Your text is still on your screen: try saving a shorter piece.",
    ),
    429: (
        "Let’s slow down for a moment",
        "There were many attempts in a short time. Please wait a little and try again.",
    ),
    500: (
        "Something went wrong on our side",
        "Nothing you wrote is lost on this screen. Please try again in a moment.",
    ),
}
CSRF_MESSAGE = (
    "This page was open too long or came from elsewhere",
    "Nothing was changed. Reload the page and try again.",
)
SIGN_IN_TO_CONTINUE = "Please sign in to continue."


# --- Sharing ---------------------------------------------------------------------------------

# "Send to my therapist" starts a message with these words and the link after them.
SHARE_MESSAGE_SUBJECT = "Something from my journal, for our session"
SHARE_MESSAGE_BODY = (
    "I'd like to share this with you before our session. The link is private and works "
    "until {until}."
)

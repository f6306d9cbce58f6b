"""What of the applicant a department's staff see in full: what its items need (region
policy ``personal_data``; none said: everything); the rest masked."""

from services.common.masking import mask_id_number, mask_name, mask_phone
from services.common.policy import load_policy
from services.departments.rules.privacy import FIELDS, masked_applicant, needed_fields

APPLICANT = {"name": "王秀英", "id_number": "32028119900101123X", "phone": "+8613912345678",
             "address": "东风村三组12号", "village": "东风村"}


def test_the_masks_keep_what_staff_recognise() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_id_number("32028119900101123X") == "320281********123X"
    assert mask_phone("+8613912345678") == mask_phone("13912345678") == "139****5678"


def test_items_naming_no_fields_show_everything() -> None:
    policy = load_policy("default")
    assert needed_fields(policy, ["dibao", "medical_aid"]) == frozenset(FIELDS)
    assert masked_applicant(APPLICANT, frozenset(FIELDS)) == APPLICANT


def test_items_naming_their_fields_mask_the_others() -> None:
    policy = load_policy("default")
    items = dict(policy.items)
    items["employment_aid"] = items["employment_aid"].model_copy(
        update={"personal_data": ["name", "phone"]})
    items["housing_aid"] = items["housing_aid"].model_copy(update={"personal_data": ["address"]})
    narrow = policy.model_copy(update={"items": items})
    assert needed_fields(narrow, ["employment_aid"]) == {"name", "phone"}
    assert needed_fields(narrow, ["employment_aid", "housing_aid"]) == {"name", "phone",
                                                                      "address"}
    shown = masked_applicant(APPLICANT, needed_fields(narrow, ["employment_aid"]))
    assert shown == APPLICANT | {"id_number": "320281********123X", "address": "***"}
    assert needed_fields(narrow, ["employment_aid", "dibao"]) == frozenset(FIELDS)

"""The combined view as operations staff may read it: the applicant and household named only
masked (张**, 320281********123X, 139****5678), free texts with numbers masked."""

from typing import Any

from services.common.logs import mask
from services.common.masking import mask_id_number, mask_name, mask_phone
from services.intake.schemas import ApplicationRead, ApplicationSummary


def masked_summary(summary: ApplicationSummary) -> ApplicationSummary:
    return summary.model_copy(update={"applicant_name": mask_name(summary.applicant_name)})


def masked_view(view: ApplicationRead) -> ApplicationRead:
    """``view`` with nothing that names or reaches the applicant in clear."""
    name = view.applicant.name

    def text(value: str) -> str:
        return mask(value.replace(name, mask_name(name))) if name else mask(value)

    applicant = view.applicant.model_copy(update={
        "name": mask_name(name), "id_number": mask_id_number(view.applicant.id_number),
        "phone": mask_phone(view.applicant.phone), "address": "***" if view.applicant.address
        else ""})
    members = [m.model_copy(update={"name": mask_name(m.name)}) for m in view.household.members]
    update: dict[str, Any] = {
        "applicant_name": mask_name(view.applicant_name), "applicant": applicant,
        "household": view.household.model_copy(update={"members": members}),
        "description": "***" if view.description else "",
        "on_behalf_of": view.on_behalf_of and view.on_behalf_of.model_copy(
            update={"name": mask_name(view.on_behalf_of.name)}),
        "notifications": [n.model_copy(update={"recipient": text(n.recipient), "text": text(n.text)})
                          for n in view.notifications],
        "history": [h.model_copy(update={"detail": text(h.detail)}) for h in view.history],
    }
    return view.model_copy(update=update)

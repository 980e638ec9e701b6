"""Upload checks: a photo (JPEG, PNG, WebP) or a PDF, recognised by its content, within the size
limit. The extension alone proves nothing: a renamed executable must not pass as a photo."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from PIL.Image import DecompressionBombError

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF_MAGIC = b"%PDF-"


def _sniff(upload) -> str | None:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(PDF_MAGIC):
        return "application/pdf"
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, DecompressionBombError, OSError, SyntaxError, ValueError):
        return None
    finally:
        upload.seek(0)
    return IMAGE_TYPES.get(kind)


def validate_upload(upload) -> str:
    """The content type of a valid upload; a ValidationError with a clear message otherwise."""
    if upload is None or not getattr(upload, "size", 0):
        raise ValidationError({"file": _("Choose a file to upload.")})
    if upload.size > settings.MAX_UPLOAD_SIZE:
        raise ValidationError({"file": _("The file is %(size)s; the limit is %(limit)s.") % {
            "size": filesizeformat(upload.size), "limit": filesizeformat(settings.MAX_UPLOAD_SIZE)}})
    content_type = _sniff(upload)
    if content_type is None:
        raise ValidationError({"file": _("Only photos (JPEG, PNG, WebP) and PDF documents can be uploaded.")})
    return content_type


def file_response(attachment) -> FileResponse:
    """Photos inline, documents as downloads; private to the browser, never a public cache."""
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=not attachment.is_image, filename=attachment.original_name)
    response["Cache-Control"] = "private, max-age=3600"
    return response

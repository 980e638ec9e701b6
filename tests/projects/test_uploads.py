"""Photos and documents: only real images or PDFs within the size limit, served only in scope."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from projects.models import Attachment
from tests.projects.factories import make_window, propose

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def project(world):
    return propose(world.staff_a, world.association_a, world.village_a, make_window())


def _upload(client, project, name, content, content_type="application/octet-stream"):
    return client.post(reverse("projects:attachment-add", args=[project.pk]),
                       {"file": SimpleUploadedFile(name, content, content_type=content_type), "kind": "photo"},
                       follow=True)


def test_photo_is_stored_outside_public_media_and_served_only_in_scope(world, project, client_for, settings):
    response = _upload(client_for(world.staff_a), project, "site.png", png_bytes(), "image/png")
    assert "File uploaded." in response.text
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    assert not str(attachment.file.path).startswith(str(settings.MEDIA_ROOT) + "/")
    with pytest.raises(ValueError):
        attachment.file.storage.url(attachment.file.name)
    url = reverse("projects:attachment", args=[project.pk, attachment.pk])
    served = client_for(world.officer).get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png_bytes()
    assert client_for(world.staff_b).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404


def test_pdf_document_is_accepted_and_downloaded_as_an_attachment(world, project, client_for):
    _upload(client_for(world.staff_a), project, "estimate.pdf", PDF, "application/pdf")
    attachment = Attachment.objects.get()
    response = client_for(world.treasurer_a).get(reverse("projects:attachment", args=[project.pk, attachment.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("name, content", [
    ("photo.jpg", b"MZ\x90\x00 this is an executable"),
    ("notes.pdf", b"just text pretending to be a PDF"),
    ("page.png", b"<html><script>alert(1)</script></html>"),
])
def test_non_image_non_pdf_is_refused_whatever_its_name(world, project, client_for, name, content):
    response = _upload(client_for(world.staff_a), project, name, content, "image/jpeg")
    assert "Only photos (JPEG, PNG, WebP) and PDF documents can be uploaded." in response.text
    assert not Attachment.objects.exists()


def test_file_over_the_size_limit_is_refused(world, project, client_for, settings):
    settings.MAX_UPLOAD_SIZE = 1000
    response = _upload(client_for(world.staff_a), project, "big.pdf", PDF + b"0" * 2000, "application/pdf")
    assert "the limit is 1000" in response.text.replace("\xa0", " ")
    assert not Attachment.objects.exists()


def test_api_upload_refuses_a_fake_image_with_400(world, project, api_for):
    response = api_for(world.staff_a).post(
        f"/api/v1/projects/{project.pk}/attachments/",
        {"file": SimpleUploadedFile("x.png", b"not an image"), "kind": "photo"}, format="multipart")
    assert response.status_code == 400
    assert "Only photos" in response.json()["file"][0]
    assert not Attachment.objects.exists()


def test_api_upload_of_a_photo_returns_the_scoped_url(world, project, api_for):
    response = api_for(world.staff_a).post(
        f"/api/v1/projects/{project.pk}/attachments/",
        {"file": SimpleUploadedFile("x.png", png_bytes()), "kind": "photo"}, format="multipart")
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert response.json()["url"] == reverse("projects:attachment", args=[project.pk, attachment.pk])
    download = f"/api/v1/projects/{project.pk}/attachments/{attachment.pk}/"
    served = api_for(world.treasurer_a).get(download)
    assert served.status_code == 200 and b"".join(served.streaming_content) == png_bytes()
    assert api_for(world.staff_b).get(download).status_code == 404


def test_outsider_cannot_upload(world, project, client_for):
    response = client_for(world.staff_b).post(reverse("projects:attachment-add", args=[project.pk]),
                                              {"file": SimpleUploadedFile("x.png", png_bytes()), "kind": "photo"})
    assert response.status_code == 404
    assert not Attachment.objects.exists()

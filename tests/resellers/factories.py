"""Factories for resellers: companies, their users and memberships."""

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.utils import timezone

from resellers.identifiers import company_name_key
from resellers.models import ProgramMembership, Reseller, ResellerDomain, User


class ResellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reseller
        skip_postgeneration_save = True  # the domain hook writes its own row

    legal_name = factory.Sequence(lambda n: f"Nordic Licensing {n} AB")
    normalized_name = factory.LazyAttribute(lambda o: company_name_key(o.legal_name))
    country = "SE"
    # Valid Swedish organisation numbers (Luhn), distinct per sequence.
    org_number = factory.Sequence(lambda n: f"55{n:07d}")
    street_address = "Storgatan 1"
    postal_code = "111 22"
    city = "Stockholm"
    preferred_currency = "SEK"
    status = Reseller.Status.ACTIVE

    @factory.post_generation
    def domain(self, create, extracted, **kwargs):
        if create:
            ResellerDomain.objects.create(
                reseller=self, domain=extracted or f"reseller{self.pk}.example"
            )


class UserFactory(factory.django.DjangoModelFactory):
    """A reseller user with a verified primary address."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@reseller.example")
    first_name = "Kim"
    last_name = "Lind"
    reseller = factory.SubFactory(ResellerFactory)
    password = factory.django.Password("correct-horse-battery")
    # Approved by a company admin (R20) unless a test says otherwise with
    # `member_approved_at=None`; staff belong to no company.
    member_approved_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.reseller is not None else None
    )

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(
                user=self,
                email=self.email,
                primary=True,
                verified=True if extracted is None else extracted,
            )


class StaffUserFactory(UserFactory):
    """Vendor staff; with a TOTP authenticator unless `with_totp=False`, as admin
    requires one."""

    reseller = None
    is_staff = True
    email = factory.Sequence(lambda n: f"staff{n}@vendor.example")

    @factory.post_generation
    def with_totp(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Authenticator.objects.create(
                user=self, type=Authenticator.Type.TOTP, data={"secret": "test"}
            )


class ReviewerFactory(StaffUserFactory):
    """Vendor staff with the permission to review claims (claims.review_claim)."""

    @factory.post_generation
    def review_permission(self, create, extracted, **kwargs):
        if create:
            self.user_permissions.add(
                Permission.objects.get(
                    codename="review_claim", content_type__app_label="claims"
                )
            )


class ProgramMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramMembership

    reseller = factory.SubFactory(ResellerFactory)
    program = "MRI"
    start_date = factory.Faker("date_object")
    end_date = None

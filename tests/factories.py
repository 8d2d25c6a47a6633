import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from devices.models import Register
from inventory.barcodes import make_ean13
from inventory.models import Category, Product, Store, TaxRate
from loyalty.models import Customer
from loyalty.rules import make_card_number
from sales import roles
from sales.models import Shift


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"store{n}")
    name = factory.Sequence(lambda n: f"Store {n}")
    currency = "EUR"
    prices_include_tax = True
    allow_negative_stock = True


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate
        django_get_or_create = ("code",)

    code = "standard"
    name = "Standard rate"
    rate = Decimal("19.00")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = "Groceries"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"TEST-{n:05d}")
    barcode = factory.Sequence(lambda n: make_ean13(f"299{n:09d}"))
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    tax_rate = factory.SubFactory(TaxRateFactory)
    price = Decimal("1.99")
    cost = Decimal("1.00")


class RegisterFactory(factory.django.DjangoModelFactory):
    """A register ready to sell: with an open shift (a float of 0) unless ``open_shift=False``."""

    class Meta:
        model = Register
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.LazyAttribute(lambda o: f"Register {o.code}")

    @factory.post_generation
    def open_shift(self, create, extracted, **kwargs):
        if create and extracted is not False and not self.shifts.filter(state=Shift.State.OPEN).exists():
            ShiftFactory(register=self)


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    id = factory.LazyFunction(uuid.uuid4)
    register = factory.SubFactory(RegisterFactory, open_shift=False)
    currency = factory.LazyAttribute(lambda o: o.register.store.currency)
    opened_by = factory.LazyFunction(lambda: get_user_model().objects.get_or_create(username="shift-opener")[0])
    opened_at = factory.LazyFunction(timezone.now)
    opening_float = Decimal("0")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            if not Group.objects.filter(name=extracted).exists():
                # Transactional tests flush the tables, including the groups the migration made.
                roles.sync_role_groups(Group, Permission)
            self.groups.add(Group.objects.get(name=extracted))
            if extracted in roles.BACK_OFFICE_ROLES:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"+4915100{n:05d}")
    card_number = factory.Sequence(lambda n: make_card_number(f"{n:08d}"))

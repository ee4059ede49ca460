from django.contrib import admin

from .models import ActionSheet, BudgetLine, Contract, Indicator, Signatory, Step


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    raw_id_fields = ["body"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "start", "end"]
    list_filter = ["kind", "status"]
    search_fields = ["title"]
    inlines = [SignatoryInline]
    raw_id_fields = ["communes", "created_by"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    raw_id_fields = ["funder"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(ActionSheet)
class ActionSheetAdmin(admin.ModelAdmin):
    list_display = ["title", "contract", "pilot", "phase", "phase_status"]
    list_filter = ["phase", "phase_status"]
    search_fields = ["title"]
    raw_id_fields = ["contract", "pilot", "partners", "communes", "created_by"]
    inlines = [StepInline, BudgetLineInline, IndicatorInline]

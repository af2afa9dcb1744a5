"""What the retention service answers: policies and what a policy would delete."""

from contracts.catalog import Deleted
from contracts.operations import Operation, Service
from contracts.retention import (
    CreatePolicy,
    DeletePolicy,
    ListPolicies,
    PolicyList,
    PolicyRef,
    PolicyView,
    PreviewRetention,
    RetentionPreview,
    UpdatePolicy,
)


class Retention(Service, name="retention"):
    create_policy = Operation(CreatePolicy, PolicyView)
    list_policies = Operation(ListPolicies, PolicyList)
    get_policy = Operation(PolicyRef, PolicyView)
    update_policy = Operation(UpdatePolicy, PolicyView)
    delete_policy = Operation(DeletePolicy, Deleted)
    preview = Operation(PreviewRetention, RetentionPreview)

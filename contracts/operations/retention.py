"""What the retention service answers: policies and what a policy would delete."""

from contracts import catalog, retention
from contracts.operations import Operation, Service


class Retention(Service, name="retention"):
    create_policy = Operation(retention.CreatePolicy, retention.PolicyView)
    list_policies = Operation(retention.ListPolicies, retention.PolicyList)
    get_policy = Operation(retention.PolicyRef, retention.PolicyView)
    update_policy = Operation(retention.UpdatePolicy, retention.PolicyView)
    delete_policy = Operation(retention.DeletePolicy, catalog.Deleted)
    preview = Operation(retention.PreviewRetention, retention.RetentionPreview)

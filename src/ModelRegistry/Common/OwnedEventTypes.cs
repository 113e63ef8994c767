namespace ModelRegistry.Common;

/// <summary>
/// Event types of a module's resources that belong to one principal (a serving endpoint): the audit shows them to admins only,
/// since their owners read them through the module's own routes and no one else may learn of them.
/// </summary>
internal sealed record OwnedEventTypes(IReadOnlyList<string> Names);

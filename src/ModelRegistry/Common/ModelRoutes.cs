using Microsoft.AspNetCore.Http.Metadata;

namespace ModelRegistry.Common;

/// <summary>
/// Routes that take a model name. A name is <c>name</c> or <c>namespace/name</c> (SPEC §2), and clients may also send the
/// <c>/</c> as <c>%2F</c>. A minimal-API <c>{name}</c> never matches across a <c>/</c>, so every such route is mapped twice,
/// <c>{name}/…</c> and <c>{namespace}/{name}/…</c>, and the handler takes one <see cref="ModelName"/> parameter that binds
/// either form (and the <c>%2F</c> form, which arrives as one segment).
/// <para>
/// For reads, the same way: <c>models.MapModel("GET", "", GetModel)</c> serves <c>/{name}</c> and <c>/{namespace}/{name}</c>;
/// <c>models.MapModel("GET", "versions/{version:int}", GetVersion)</c>, <c>"production"</c>, <c>"production/watch"</c>,
/// <c>"history"</c> likewise, each handler taking <c>ModelName name</c> (never a <c>string name</c>: route values alone miss
/// the namespace). Routes without a name, such as <c>/by-path</c>, are mapped plainly: literal segments outrank parameters,
/// and since a name's last part may not be a route word (<c>versions</c>, <c>production</c>, <c>history</c>, <c>rollback</c>,
/// <c>lock</c>, <c>unlock</c>, <c>by-path</c>), no two templates can claim the same URL.
/// </para>
/// <para>
/// A catch-all <c>GET /{**path}</c> parsed by hand (what Catalog/Reading does with its <c>ModelPath</c>) coexists with these
/// templates: routing filters candidates by HTTP method before precedence, so POST/PATCH/PUT never reach the catch-all and
/// GET never reaches a command. Keep every command on <see cref="MapModel"/> so the two forms of a name stay in one place.
/// </para>
/// <para>
/// The returned builder applies conventions (filters, authorization, OpenAPI metadata) to both endpoints; do not call
/// <c>WithName</c> on it, endpoint names must be unique: <see cref="ModelEndpoints.WithNames"/> names the pair.
/// </para>
/// </summary>
internal static class ModelRoutes
{
    public const string Prefix = "/api/v1/models";

    public static ModelEndpoints MapModel(this IEndpointRouteBuilder group, string method, string suffix, Delegate handler)
    {
        var tail = suffix.Length == 0 ? "" : "/" + suffix.TrimStart('/');
        var single = group.MapMethods("/{name}" + tail, [method], handler);
        var namespaced = group.MapMethods("/{namespace}/{name}" + tail, [method], handler);
        return new ModelEndpoints(single, namespaced);
    }

    /// <summary>The URL path of a model, or of something under it: <c>/api/v1/models/TheBloke/TinyLlama/versions/3</c>.</summary>
    public static string PathOf(string name, string? suffix = null) =>
        suffix is null ? $"{Prefix}/{name}" : $"{Prefix}/{name}/{suffix}";

}

/// <summary>The two endpoints of one model route, <c>{name}/…</c> and <c>{namespace}/{name}/…</c>.</summary>
internal sealed class ModelEndpoints(IEndpointConventionBuilder single, IEndpointConventionBuilder namespaced) : IEndpointConventionBuilder
{
    public void Add(Action<EndpointBuilder> convention)
    {
        single.Add(convention);
        namespaced.Add(convention);
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        single.Finally(finallyConvention);
        namespaced.Finally(finallyConvention);
    }

    /// <summary>Endpoint names, which are also the OpenAPI operation ids: <paramref name="name"/> and <c>…InNamespace</c>.</summary>
    public ModelEndpoints WithNames(string name)
    {
        single.WithName(name);
        namespaced.WithName(name + "InNamespace");
        return this;
    }

    /// <summary>What a success answers, as <c>RouteHandlerBuilder.Produces</c> declares it.</summary>
    public ModelEndpoints Produces<TResponse>(int status = StatusCodes.Status200OK) =>
        this.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(TResponse), ["application/json"]));

    public ModelEndpoints Produces(int status, string? contentType = null) =>
        this.WithMetadata(new ProducesResponseTypeMetadata(status, null, contentType is null ? null : [contentType]));
}

/// <summary>
/// A model name as a route gave it: <c>{name}</c>, <c>{namespace}/{name}</c>, or <c>{name}</c> holding <c>namespace%2Fname</c>.
/// Not validated here: a command that creates a model validates it, every other route answers 404 for a name no model has.
/// </summary>
internal readonly record struct ModelName(string Value)
{
    public static ValueTask<ModelName> BindAsync(HttpContext context)
    {
        var values = context.Request.RouteValues;
        var name = values["name"] as string ?? "";
        var full = values["namespace"] is string ns ? $"{ns}/{name}" : name;
        return ValueTask.FromResult(new ModelName(full.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase)));
    }

    public override string ToString() => Value;
}

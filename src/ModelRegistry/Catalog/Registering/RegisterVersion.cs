using JasperFx.Events;
using Marten;
using Wolverine;
using System.Collections.Immutable;
using FluentValidation;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Sources;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Registering;

internal sealed record RegisterVersionRequest(
    int? Version, SourceRequest? Source, string? Sha256, string? Format, MetadataRequest? Metadata, bool? IfNewContent = null)
{
    public RegisterVersion ToCommand(string name, CommandContext context, MeasuredFile? local) => new(
        name,
        Version,
        new VersionSource(CatalogRules.Parse<SourceType>(Source!.Type!), Source.Uri!, Source.Revision, Source.File),
        Sha256,
        Format is null ? null : CatalogRules.Parse<ModelFormat>(Format),
        Metadata is null
            ? VersionMetadata.Empty
            : new VersionMetadata(
                Metadata.Description,
                Metadata.Metrics ?? ImmutableDictionary<string, double>.Empty,
                Metadata.Architecture,
                Metadata.Quantization,
                Metadata.ContextLength,
                Metadata.Tags ?? ImmutableDictionary<string, string>.Empty),
        context.Actor,
        local,
        IfNewContent == true)
    {
        Context = context,
    };
}

internal sealed record SourceRequest(string? Type, string? Uri, string? Revision, string? File);

internal sealed record MetadataRequest(
    string? Description,
    IReadOnlyDictionary<string, double>? Metrics,
    string? Architecture,
    string? Quantization,
    int? ContextLength,
    IReadOnlyDictionary<string, string>? Tags);

internal sealed class RegisterVersionRequestValidator : AbstractValidator<RegisterVersionRequest>
{
    public RegisterVersionRequestValidator()
    {
        RuleFor(x => x.Version).GreaterThan(0);
        RuleFor(x => x.Source).NotNull().SetValidator(new SourceRequestValidator()!);
        RuleFor(x => x.Sha256).Sha256();
        RuleFor(x => x.Format).Must(f => f is null || CatalogRules.IsOneOf<ModelFormat>(f))
            .WithMessage($"One of: {CatalogRules.Names<ModelFormat>()}.");
        RuleFor(x => x.Metadata).SetValidator(new MetadataRequestValidator()!);
    }
}

internal sealed class SourceRequestValidator : AbstractValidator<SourceRequest>
{
    public SourceRequestValidator()
    {
        RuleFor(x => x.Type).NotEmpty().Must(t => CatalogRules.IsOneOf<SourceType>(t))
            .WithMessage($"One of: {CatalogRules.Names<SourceType>()}.");
        RuleFor(x => x.Uri).NotEmpty().MaximumLength(2048).Must(u => !u!.Any(char.IsControl))
            .WithMessage("The uri may not contain control characters.");
        // A URL parser trims what a file name keeps: refuse rather than guess which one was meant.
        RuleFor(x => x.Uri).Must(u => u!.Trim().Length == u.Length).When(x => !string.IsNullOrEmpty(x.Uri))
            .WithMessage("The uri may not start or end with white space.");
        RuleFor(x => x.Uri).Must(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            .When(x => Is(x, SourceType.Url) && !string.IsNullOrEmpty(x.Uri))
            .WithMessage("A url source is an absolute http(s) URL.");
        RuleFor(x => x.Uri).Must(u => u!.Split('/') is { Length: 1 or 2 } parts && parts.All(CatalogRules.NamePart().IsMatch))
            .When(x => Is(x, SourceType.Huggingface) && !string.IsNullOrEmpty(x.Uri))
            .WithMessage("A huggingface source is a repository id, 'repo' or 'org/repo'.");
        RuleFor(x => x.Revision).Matches(@"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,254}\z").Must(r => !r!.Contains("..", StringComparison.Ordinal))
            .When(x => x.Revision is not null)
            .WithMessage("A revision is a branch, tag or commit: letters, digits, '.', '_', '-' and '/'.");
        RuleFor(x => x.File).Must(CatalogRules.IsRepoFile).When(x => x.File is not null)
            .WithMessage(CatalogRules.RepoFileRule);
    }

    private static bool Is(SourceRequest source, SourceType type) =>
        CatalogRules.IsOneOf<SourceType>(source.Type) && CatalogRules.Parse<SourceType>(source.Type!) == type;
}

internal sealed class MetadataRequestValidator : AbstractValidator<MetadataRequest>
{
    public MetadataRequestValidator()
    {
        RuleFor(x => x.Description).Description();
        RuleFor(x => x.Architecture).MaximumLength(128);
        RuleFor(x => x.Quantization).MaximumLength(128);
        RuleFor(x => x.ContextLength).GreaterThan(0);
        RuleFor(x => x.Metrics).Must(m => m is null || (m.Count <= 256 && m.All(kv => kv.Key.Length is > 0 and <= 128 && double.IsFinite(kv.Value))))
            .WithMessage("At most 256 metrics; names are 1 to 128 characters, values finite numbers.");
        RuleFor(x => x.Tags).Tags();
    }
}

public sealed record MeasuredFile(string LocalPath, long SizeBytes, string Sha256);

public sealed record RegisterVersion(
    string Name,
    int? Version,
    VersionSource Source,
    string? Sha256,
    ModelFormat? Format,
    VersionMetadata Metadata,
    string? Owner,
    MeasuredFile? Local,
    bool IfNewContent = false) : IModelCommand
{
    /// <summary>
    /// A local file some version of the model points at already is that version's, not a new one: what a scan registers, so two
    /// scans that meet one file register it once (the second decides again on the stream the first left, and appends nothing).
    /// </summary>
    public bool IfNewPath { get; init; }

    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    /// <summary>
    /// The highest version number a request may name: auto-numbering goes on from the highest version, so this leaves it more
    /// than a billion numbers whatever was named.
    /// </summary>
    public const int MaxExplicitVersion = 1_000_000_000;

    public static IReadOnlyList<object> Decide(ModelState state, RegisterVersion command, DateTimeOffset now)
    {
        if (command.Version > MaxExplicitVersion)
        {
            throw DomainErrors.Invalid("version", "version-out-of-range",
                $"A version number is at most {MaxExplicitVersion}; leave it out to take the next one.");
        }

        if (state.Exists)
        {
            state.RequireMutable(command.Name);
        }

        if (command is { IfNewPath: true, Local: { } measured } && state.Versions.Values.Any(v => v.LocalPath == measured.LocalPath))
        {
            return [];
        }

        var expectedSha256 = command.Sha256?.ToLowerInvariant();
        var measuredSha256 = command.Local?.Sha256.ToLowerInvariant();
        if (expectedSha256 is not null && measuredSha256 is not null && expectedSha256 != measuredSha256)
        {
            throw CatalogErrors.Sha256Mismatch(expectedSha256, measuredSha256);
        }

        var duplicateOf = state.VersionWithContent(measuredSha256 ?? expectedSha256);
        if (command.IfNewContent && duplicateOf is not null)
        {
            return [];
        }

        var version = command.Version ?? (state.LatestVersion < int.MaxValue
            ? state.LatestVersion + 1
            : throw DomainErrors.Conflict("versions-exhausted", $"Model '{state.Name}' has no version numbers left."));
        if (state.Versions.ContainsKey(version))
        {
            throw DomainErrors.Conflict("duplicate-version", $"Model '{state.Name}' already has version {version}.");
        }

        var source = command.Source is { Type: SourceType.Huggingface, Revision: null } ? command.Source with { Revision = "main" } : command.Source;
        var format = command.Format ?? InferFormat(source);
        var registered = (source.Type, command.Local) switch
        {
            (SourceType.Local, null) => throw new InvalidOperationException("A local file is measured at the edge before it is registered."),
            (SourceType.Local, { } file) => new VersionRegistered(
                version, source, measuredSha256, format, command.Metadata, ArtifactStatus.Ready, file.LocalPath, file.SizeBytes, duplicateOf),
            _ => new VersionRegistered(version, source, expectedSha256, format, command.Metadata, ArtifactStatus.Pending, null, null, duplicateOf),
        };

        return state.Exists
            ? [registered]
            : [new ModelRegistered(command.Name, null, ImmutableDictionary<string, string>.Empty, command.Owner), registered];
    }

    public static ModelFormat InferFormat(VersionSource source)
    {
        var path = source.Type == SourceType.Huggingface ? source.File : source.Uri;
        if (path is null)
        {
            return ModelFormat.Other;
        }

        var end = path.IndexOfAny(['?', '#']);
        var extension = Path.GetExtension(end < 0 ? path : path[..end]).ToLowerInvariant();
        return extension switch
        {
            ".gguf" => ModelFormat.Gguf,
            ".onnx" => ModelFormat.Onnx,
            ".safetensors" => ModelFormat.Safetensors,
            ".pt" or ".pth" => ModelFormat.Pt,
            ".bin" => ModelFormat.Bin,
            _ => ModelFormat.Other,
        };
    }
}

/// <summary>
/// Registers the version; a remote one is pending, and its download (state and durable message) is queued by the Downloads module in
/// the same transaction, so a version is never pending without a download, nor a download without its version.
/// </summary>
public static class RegisterVersionHandler
{
    public static async Task<CommandDone> Handle(RegisterVersion command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session,
        IMessageContext bus, IVersionDownloadQueue downloads, TimeProvider clock)
    {
        var done = model.Decide(command, session, state => RegisterVersion.Decide(state, command, clock.GetUtcNow()));
        if (done.Decided.OfType<VersionRegistered>().SingleOrDefault() is { Status: ArtifactStatus.Pending } registered)
        {
            await downloads.EnqueueAsync(session, bus, new VersionDownloadRequest(
                command.Name, registered.Version, registered.Source, registered.Sha256, command.Context.Actor, command.Context.CorrelationId));
        }

        return done;
    }
}

internal static class RegisterVersionEndpoint
{
    public static IEndpointRouteBuilder MapRegisterVersion(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "versions", (ModelName name, RegisterVersionRequest request, HttpContext http, HttpCommands commands,
                LocalSource localSource, IVersionDownloadQueue downloads) =>
            RegisterAsync(http, commands, localSource, downloads, name.Value, request, "source.uri"))
            .WithNames("RegisterVersion")
            .WithSummary("Registers a version: a local file is measured and ready at once (201), a remote one is downloaded (202).")
            .Produces<VersionResource>(StatusCodes.Status201Created).Produces<VersionResource>(StatusCodes.Status202Accepted);
        return models;
    }

    /// <summary>
    /// Registers a version: a local file is resolved and measured first and the version is ready at once (201); a remote
    /// one is pending, its download queued in the append's transaction (202). Both answer the version, with its Location;
    /// with if_new_content, content a version has already answers that version (200) and appends nothing.
    /// </summary>
    public static Task<IResult> RegisterAsync(HttpContext http, HttpCommands commands, LocalSource localSource, IVersionDownloadQueue downloads,
        string name, RegisterVersionRequest request, string sourceField, Func<ModelState, int, int, CommandReply>? reply = null)
    {
        if (!CatalogRules.IsModelName(name))
        {
            throw DomainErrors.Invalid("name", "invalid-name", "A model name is 'name' or 'namespace/name' made of letters, digits, '.', '_' and '-'.");
        }

        var isLocal = CatalogRules.Parse<SourceType>(request.Source!.Type!) == SourceType.Local;
        if (!isLocal)
        {
            downloads.Check(request.Source, sourceField);
        }

        var status = isLocal ? StatusCodes.Status201Created : StatusCodes.Status202Accepted;
        MeasuredFile? measured = null;
        var uri = request.Source.Uri!;
        return commands.InvokeAsync(http,
            async (context, ct) =>
            {
                if (isLocal)
                {
                    measured = await localSource.MeasureAsync(uri, sourceField, ct);
                }

                return request.ToCommand(name, context, measured);
            },
            (state, decided) => decided.OfType<VersionRegistered>().SingleOrDefault() is { } registered
                ? (reply ?? DefaultReply)(state, registered.Version, status)
                : (reply ?? DefaultReply)(state, ExistingVersion(state, measured?.Sha256 ?? request.Sha256), StatusCodes.Status200OK));
    }

    private static CommandReply DefaultReply(ModelState state, int version, int status) => CatalogReplies.Version(state, version, status);

    // Nothing was appended: if_new_content found the content in a version already (an idempotent replay renders from its record).
    private static int ExistingVersion(ModelState state, string? sha256) =>
        state.VersionWithContent(sha256?.ToLowerInvariant())
        ?? throw new InvalidOperationException("A registration that appended nothing found no version with its content.");
}

using FluentValidation;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Sources;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Tracking;

namespace ModelRegistry.Downloads.Requesting;

internal sealed record DownloadRequest(string? ModelRef, string? Name, string? Sha256);

internal sealed class DownloadRequestValidator : AbstractValidator<DownloadRequest>
{
    public DownloadRequestValidator()
    {
        RuleFor(x => x.ModelRef).NotEmpty().Must(r => Requesting.ModelRef.Parse(r) is not null)
            .WithMessage("A model_ref is 'hf:org/repo[/file][@revision]', an http(s) URL, 'local:<path under the storage root>' or a file:// URL.");
        RuleFor(x => x.Name).Must(CatalogRules.IsModelName).When(x => x.Name is not null)
            .WithMessage("A name is 'name' or 'namespace/name' made of letters, digits, '.', '_' and '-'.");
        RuleFor(x => x.Sha256).Sha256();
    }
}

/// <summary>
/// <c>POST /api/v1/downloads</c> (and seed 001's <c>POST /v1/models/download</c>): registers a new version of the model
/// named after the reference (created if new) through the catalog's register-version command, whose transaction queues
/// the download; answers 202 with the download and its Location. A local reference needs no download: 201 with the version.
/// </summary>
internal static class RequestDownloadEndpoint
{
    public static RouteHandlerBuilder DescribeRequestDownload(this RouteHandlerBuilder endpoint) =>
        endpoint.WithSummary("Registers a new version from a model_ref and downloads it (202); a local reference is ready at once (201).")
            .Produces<DownloadResource>(StatusCodes.Status202Accepted).Produces<VersionResource>(StatusCodes.Status201Created);

    public static Task<IResult> RequestAsync(DownloadRequest request, HttpContext http, HttpCommands commands, LocalSource localSource,
        IVersionDownloadQueue downloads, IValidator<RegisterVersionRequest> versionValidator)
    {
        var reference = ModelRef.Parse(request.ModelRef)!;
        var name = request.Name ?? reference.DefaultName
            ?? throw DomainErrors.Invalid("name", "name-required", "No model name follows from this model_ref; give one in 'name'.");
        var register = new RegisterVersionRequest(null, reference.Source, request.Sha256, null, null);
        if (versionValidator.Validate(register) is { IsValid: false } invalid)
        {
            throw DomainErrors.Invalid("model_ref", "invalid-model-ref", string.Join(" ", invalid.Errors.Select(e => e.ErrorMessage).Distinct()));
        }

        return RegisterVersionEndpoint.RegisterAsync(http, commands, localSource, downloads, name, register, "model_ref",
            (state, version, status) => status == StatusCodes.Status202Accepted
                ? DownloadReplies.Accepted(state.Name, version)
                : CatalogReplies.Version(state, version, status));
    }
}

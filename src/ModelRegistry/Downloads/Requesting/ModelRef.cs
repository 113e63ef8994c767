using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;

namespace ModelRegistry.Downloads.Requesting;

/// <summary>
/// A model reference as clients write it (seed 001): <c>hf:{org}/{repo}[/{file}][@{revision}]</c> (a single segment is a
/// repository without an organisation), an <c>http(s)://</c> URL, <c>local:{path under the storage root}</c> or a
/// <c>file://</c> URL. It becomes a version source and the name of the model the version goes to: the repository id
/// for the hub, the file's stem otherwise.
/// </summary>
internal sealed record ModelRef(SourceRequest Source, string? DefaultName)
{
    public static ModelRef? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 2048 || value.Any(char.IsControl))
        {
            return null;
        }

        if (value.StartsWith("hf:", StringComparison.OrdinalIgnoreCase))
        {
            return Hub(value[3..]);
        }

        if (value.StartsWith("local:", StringComparison.OrdinalIgnoreCase))
        {
            return value.Length > 6 ? new ModelRef(new SourceRequest("local", value[6..], null, null), NameFromFile(value[6..])) : null;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var url))
        {
            return url.Scheme switch
            {
                "http" or "https" => new ModelRef(new SourceRequest("url", value, null, null), NameFromFile(url.AbsolutePath)),
                "file" => new ModelRef(new SourceRequest("local", value, null, null), NameFromFile(url.AbsolutePath)),
                _ => null,
            };
        }

        return null;
    }

    private static ModelRef? Hub(string reference)
    {
        var at = reference.LastIndexOf('@');
        var revision = at < 0 ? null : reference[(at + 1)..];
        var path = at < 0 ? reference : reference[..at];
        var segments = path.Split('/');
        if (segments.Length == 0 || revision is "" || segments.Take(Math.Min(2, segments.Length)).Any(s => !CatalogRules.NamePart().IsMatch(s)))
        {
            return null;
        }

        var repo = segments.Length == 1 ? segments[0] : $"{segments[0]}/{segments[1]}";
        var file = segments.Length > 2 ? string.Join('/', segments[2..]) : null;
        return new ModelRef(new SourceRequest("huggingface", repo, revision, file), CatalogRules.IsModelName(repo) ? repo : null);
    }

    private static string? NameFromFile(string path)
    {
        var last = Uri.UnescapeDataString(path.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "");
        var stem = Path.GetFileNameWithoutExtension(last);
        var name = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray()).TrimStart('.', '_', '-');
        name = name.Length > 96 ? name[..96] : name;
        return CatalogRules.IsModelName(name) ? name : null;
    }
}

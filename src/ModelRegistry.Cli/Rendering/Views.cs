using System.Globalization;
using System.Text.Json;
using ModelRegistry.Cli.Api;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ModelRegistry.Cli.Rendering;

/// <summary>How resources look to a person: tables and one-line summaries. Registry data never goes through markup.</summary>
internal static class Views
{
    public static void Models(IAnsiConsole console, Page<ModelSummary> page)
    {
        var table = Table("name", "production", "latest", "locked", "tags", "~updated");
        foreach (var m in page.Items)
        {
            table.AddRow(Cells(m.Name, Number(m.ProductionVersion), Number(m.LatestVersion), m.Locked ? "locked" : "", Tags(m.Tags), Time(m.UpdatedAt)));
        }

        console.Write(table);
        More(console, page.NextCursor);
    }

    public static void Model(IAnsiConsole console, Model model)
    {
        var facts = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        facts.AddRow(Cells("name", model.Name));
        facts.AddRow(Cells("description", model.Description ?? ""));
        facts.AddRow(Cells("tags", Tags(model.Tags)));
        facts.AddRow(Cells("owner", model.Owner ?? ""));
        facts.AddRow(Cells("production", Number(model.ProductionVersion)));
        facts.AddRow(Cells("locked", model.Locked ? $"yes: {model.LockReason}" : "no"));
        facts.AddRow(Cells("updated", Time(model.UpdatedAt)));
        console.Write(facts);
        var versions = Table("version", "stage", "status", "format", "~size", "source", "~created", "by");
        foreach (var v in model.Versions)
        {
            versions.AddRow(Cells(Number(v.Version), v.Stage, v.Status, v.Format ?? "", v.SizeBytes is { } size ? Bytes(size) : "",
                $"{v.Source.Type}:{v.Source.Uri}", Time(v.CreatedAt), v.CreatedBy ?? ""));
        }

        console.Write(versions);
        if (model.VersionsNextCursor is not null)
        {
            console.Line("(older versions not shown)");
        }
    }

    public static void Updated(IAnsiConsole console, Model model) =>
        console.Line($"Updated {model.Name}: description {model.Description ?? "-"}; tags {(Tags(model.Tags) is { Length: > 0 } tags ? tags : "-")}");

    public static void Audit(IAnsiConsole console, Page<HistoryItem> page)
    {
        var table = Table("position", "~time", "model", "~event", "actor", "reason", "data");
        foreach (var e in page.Items)
        {
            table.AddRow(Cells(e.Position.ToString(CultureInfo.InvariantCulture), Time(e.Timestamp), e.Stream ?? "", e.Type, e.Actor ?? "",
                e.Reason ?? "", Summary(e.Data)));
        }

        console.Write(table);
        More(console, page.NextCursor);
    }

    public static void Downloads(IAnsiConsole console, Page<Download> page)
    {
        var table = Table("~id", "model", "version", "state", "~bytes", "attempts", "~created", "last error");
        foreach (var d in page.Items)
        {
            table.AddRow(Cells(d.Id.ToString(), d.Model, Number(d.Version), d.State, Progress(d),
                $"{Number(d.Attempts)}/{Number(d.MaxAttempts)}", Time(d.CreatedAt), d.LastError ?? ""));
        }

        console.Write(table);
        More(console, page.NextCursor);
    }

    public static void Download(IAnsiConsole console, Download d)
    {
        var facts = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        facts.AddRow(Cells("id", d.Id.ToString()));
        facts.AddRow(Cells("version", $"{d.Model} v{Number(d.Version)}"));
        facts.AddRow(Cells("state", d.State));
        facts.AddRow(Cells("bytes", Progress(d) + (d.BytesPerSecond > 0 ? $" at {Bytes((long)d.BytesPerSecond)}/s" : "")));
        facts.AddRow(Cells("attempts", $"{Number(d.Attempts)} of {Number(d.MaxAttempts)}"));
        facts.AddRow(Cells("last error", d.LastError ?? ""));
        facts.AddRow(Cells("created", Time(d.CreatedAt)));
        facts.AddRow(Cells("finished", Time(d.FinishedAt)));
        console.Write(facts);
    }

    public static void Scan(IAnsiConsole console, ScanReport report)
    {
        var table = Table("name", "version", "path", "~size", "format");
        foreach (var v in report.Registered)
        {
            table.AddRow(Cells(v.Name, Number(v.Version), v.LocalPath, Bytes(v.SizeBytes), v.Format ?? ""));
        }

        console.Write(table);
        foreach (var skipped in report.SkippedFiles ?? [])
        {
            console.Line($"skipped {skipped.Path}: {skipped.Reason}");
        }

        console.Line($"registered {Number(report.Registered.Count)}, known {Number(report.Known)}, skipped {Number(report.Skipped)}, "
                     + $"ignored {Number(report.Ignored)}");
    }

    public static void Keys(IAnsiConsole console, KeyList keys)
    {
        var table = Table("name", "role", "~created", "by", "~revoked");
        foreach (var k in keys.Items)
        {
            table.AddRow(Cells(k.Name, k.Role, Time(k.CreatedAt), k.CreatedBy ?? "", Time(k.RevokedAt)));
        }

        console.Write(table);
    }

    public static void Endpoints(IAnsiConsole console, IReadOnlyList<ServingEndpoint> endpoints)
    {
        var table = Table("~id", "name", "url", "type", "active", "health", "~last check", "models");
        foreach (var e in endpoints)
        {
            table.AddRow(Cells(e.Id, e.Name, e.BaseUrl, e.EndpointType, e.IsActive ? "yes" : "no", e.HealthStatus, Time(e.LastHealthCheck),
                Number(e.AvailableModels?.Count ?? 0)));
        }

        console.Write(table);
    }

    public static void Endpoint(IAnsiConsole console, ServingEndpoint e)
    {
        var facts = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        facts.AddRow(Cells("id", e.Id));
        facts.AddRow(Cells("name", e.Name));
        facts.AddRow(Cells("url", e.BaseUrl));
        facts.AddRow(Cells("type", e.EndpointType));
        facts.AddRow(Cells("models path", e.ModelsPath ?? ""));
        facts.AddRow(Cells("api key", e.ApiKey ?? "none"));
        facts.AddRow(Cells("active", e.IsActive ? "yes" : "no"));
        facts.AddRow(Cells("owner", e.Owner ?? ""));
        facts.AddRow(Cells("health", e.HealthStatus + (e.ResponseTimeMs is { } ms ? $" ({Number(ms)} ms)" : "")));
        facts.AddRow(Cells("last check", Time(e.LastHealthCheck)));
        facts.AddRow(Cells("health error", e.HealthError ?? ""));
        facts.AddRow(Cells("models", string.Join(", ", e.AvailableModels ?? [])));
        facts.AddRow(Cells("discovered", Time(e.LastModelDiscovery)));
        facts.AddRow(Cells("last used", Time(e.LastUsedAt)));
        facts.AddRow(Cells("created", Time(e.CreatedAt)));
        facts.AddRow(Cells("updated", Time(e.UpdatedAt)));
        console.Write(facts);
    }

    public static void Health(IAnsiConsole console, string id, EndpointHealth health) =>
        console.Line($"Checked {id}: {health.Status}" + (health.ResponseTimeMs is { } ms ? $" in {Number(ms)} ms" : "")
                     + $", {Number(health.AvailableModels)} models" + (health.ErrorMessage is null ? "" : $"; error: {health.ErrorMessage}"));

    public static void History(IAnsiConsole console, Page<HistoryItem> page)
    {
        var table = Table("position", "~time", "~event", "actor", "reason", "data");
        foreach (var e in page.Items)
        {
            table.AddRow(Cells(e.Position.ToString(CultureInfo.InvariantCulture), Time(e.Timestamp), e.Type, e.Actor ?? "", e.Reason ?? "",
                Summary(e.Data)));
        }

        console.Write(table);
        More(console, page.NextCursor);
    }

    public static void Version(IAnsiConsole console, string done, ModelVersion v) =>
        console.Line($"{done} {v.Name} v{Number(v.Version)}: stage {v.Stage}, status {v.Status}" + (v.LocalPath is null ? "" : $", {v.LocalPath}"));

    public static string ProductionChange(ProductionPointer pointer) =>
        pointer.Version is { } version
            ? $"{Time(pointer.PromotedAt)} {pointer.Name} production is v{Number(version)}"
              + (pointer.PromotedBy is null ? "" : $" (by {pointer.PromotedBy})") + (pointer.LocalPath is null ? "" : $" {pointer.LocalPath}")
            : $"{pointer.Name} has no production version";

    public static void Problem(IAnsiConsole console, Problem problem)
    {
        var status = problem.Status is { } s ? $" ({s.ToString(CultureInfo.InvariantCulture)})" : "";
        console.Line($"error: {problem.Title}{status}" + (problem.Detail is null ? "" : $": {problem.Detail}"));
        foreach (var (field, messages) in problem.Errors ?? new Dictionary<string, string[]>())
        {
            foreach (var message in messages)
            {
                console.Line($"  {field}: {message}");
            }
        }
    }

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes.ToString(CultureInfo.InvariantCulture)} B" : $"{value.ToString("0.0", CultureInfo.InvariantCulture)} {units[unit]}";
    }

    /// <summary>
    /// A line as it is, not wrapped at the console's width as Spectre wraps text, so that piped output stays one line a
    /// message.
    /// </summary>
    public static void Line(this IAnsiConsole console, string text) => console.Profile.Out.Writer.WriteLine(text);

    /// <summary>A table; a header written <c>~name</c> is a column that never wraps (times, sizes, event types).</summary>
    private static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            var column = new TableColumn(new Text(header.TrimStart('~')));
            table.AddColumn(header.StartsWith('~') ? column.NoWrap() : column);
        }

        return table;
    }

    /// <summary>An event's payload in a line: its plain fields as key=value, long values shortened.</summary>
    private static string Summary(JsonElement data) =>
        data.ValueKind != JsonValueKind.Object ? data.ToString()
            : string.Join(" ", data.EnumerateObject()
                .Where(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                .Select(p => $"{p.Name}={Shorten(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())}"));

    private static string Shorten(string value) => value.Length > 24 ? value[..12] + "…" : value;

    private static IRenderable[] Cells(params string[] values) => values.Select(v => (IRenderable)new Text(v)).ToArray();

    private static void More(IAnsiConsole console, string? cursor)
    {
        if (cursor is not null)
        {
            console.Line($"more: --cursor {cursor}");
        }
    }

    private static string Progress(Download d) => Bytes(d.BytesDone) + (d.BytesTotal is { } total ? $"/{Bytes(total)}" : "");

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Time(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    private static string Tags(IReadOnlyDictionary<string, string>? tags) =>
        tags is null ? "" : string.Join(", ", tags.Select(t => $"{t.Key}:{t.Value}"));
}

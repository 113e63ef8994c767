using System.CommandLine;
using System.Net;
using System.Text.Json;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;
using Spectre.Console;

namespace ModelRegistry.Cli.Commands;

/// <summary>
/// <c>pull &lt;model_ref&gt;</c>: asks the registry to download a model (a durable job on the server), follows the job's
/// server-sent progress, and ends when the version is ready (0) or the download failed (1, with the reason).
/// </summary>
internal static class PullCommand
{
    private const int MaxReconnects = 5;

    public static Command Create(CliContext context)
    {
        var reference = new Argument<string>("model_ref")
        {
            Description = "hf:org/repo[/file][@revision], an http(s) URL, local:<path under the storage root> or a file:// URL",
        };
        var name = new Option<string?>("--name") { Description = "The model to add the version to (default: from the reference)" };
        var sha256 = new Option<string?>("--sha256") { Description = "The file's expected SHA-256; a mismatch fails the download" };
        var command = new Command("pull", "Download a model into the registry and follow its progress") { reference, name, sha256 };
        command.Runs(context, run => PullAsync(run, new DownloadBody(run.Value(reference), run.Value(name), run.Value(sha256))));
        return command;
    }

    private static async Task<int> PullAsync(Invocation run, DownloadBody body)
    {
        var accepted = await run.Client.RequestDownloadAsync(body, run.Ct);
        if (accepted.Status != HttpStatusCode.Accepted)
        {
            // A local file needs no download: it is registered, measured and ready at once.
            return run.Show(accepted, json => Views.Version(run.Context.Out, "Registered", json.Deserialize<ModelVersion>(RegistryClient.Json)!));
        }

        var download = accepted.Value.Deserialize<Download>(RegistryClient.Json)!;
        var title = $"{download.Model} v{download.Version}";
        var final = run.Json
            ? await FollowAsync(run, download.Id, (_, json) => run.Context.Out.Line(json))
            : await run.Context.Progress.ShowAsync(title, report => FollowAsync(run, download.Id, (d, _) => report(d)));
        if (final.State != "succeeded")
        {
            run.Context.Error.Line($"error: the download of {title} {final.State}" + (final.LastError is null ? "" : $": {final.LastError}"));
            return ExitCodes.Failed;
        }

        var version = await run.Client.GetVersionAsync(final.Model, final.Version, run.Ct);
        run.Show(version, v => Views.Version(run.Context.Out, "Pulled", v));
        return version.Value.Status == "ready" ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>
    /// Reads the download's events until it finishes. The stream starts from the download's current state, so after a
    /// dropped connection reading it again loses nothing.
    /// </summary>
    private static async Task<Download> FollowAsync(Invocation run, Guid id, Action<Download, string> seen)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await foreach (var item in run.Client.DownloadEventsAsync(id, run.Ct))
                {
                    var download = JsonSerializer.Deserialize<Download>(item.Data, RegistryClient.Json)!;
                    seen(download, item.Data);
                    if (download.IsFinished)
                    {
                        return download;
                    }
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException { StatusCode: null } && attempt < MaxReconnects)
            {
            }

            if (attempt >= MaxReconnects)
            {
                throw new IOException("The registry's progress stream kept ending before the download finished.");
            }

            await Task.Delay(run.Context.ReconnectDelay * attempt, run.Ct);
        }
    }
}

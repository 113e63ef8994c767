using ModelRegistry.Cli.Api;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ModelRegistry.Cli.Rendering;

/// <summary>Where <c>pull</c> shows a download's progress while it runs.</summary>
internal interface IPullProgress
{
    /// <summary>Runs <paramref name="work"/> with a reporter that takes every state of the download it sees.</summary>
    Task<T> ShowAsync<T>(string title, Func<Action<Download>, Task<T>> work);
}

/// <summary>A Spectre.Console progress bar: percentage, bytes done of the total, and the speed the server measures.</summary>
internal sealed class SpectrePullProgress(IAnsiConsole console) : IPullProgress
{
    private const string Speed = "bytes_per_second";

    public Task<T> ShowAsync<T>(string title, Func<Action<Download>, Task<T>> work) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), autoStart: true);
                task.IsIndeterminate = true;
                var result = await work(download =>
                {
                    if (download.BytesTotal is { } total)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = Math.Max(total, 1);
                    }

                    task.Value = download.BytesDone;
                    task.State.Update<double>(Speed, _ => download.BytesPerSecond);
                    task.Description = Markup.Escape($"{title} {download.State}");
                });
                task.StopTask();
                return result;
            });

    /// <summary>Sizes in the units the tables use (KiB, MiB, GiB), which Spectre's own columns do not.</summary>
    private sealed class TransferColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var done = Views.Bytes((long)task.Value);
            var total = task.IsIndeterminate ? "" : $"/{Views.Bytes((long)task.MaxValue)}";
            var speed = task.IsFinished ? "" : $" {Views.Bytes((long)task.State.Get<double>(Speed))}/s";
            return new Text(done + total + speed);
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using ModelRegistry.Downloads.Sources;

namespace ModelRegistry.Downloads.Processing;

/// <summary>One file to fetch: where from, what it must hash to, and who may see the token.</summary>
/// <param name="JobId">Names the partial file, so a later attempt resumes it.</param>
/// <param name="Url">The first URL; redirects are followed from here.</param>
/// <param name="ExpectedSha256">Lowercase hex, or null to accept the hub's <c>X-Linked-Etag</c> (or, without one, what arrives).</param>
/// <param name="Token">A bearer token sent only to <paramref name="TokenAudience"/>'s scheme, host and port.</param>
/// <param name="TokenAudience">The hub.</param>
internal sealed record TransferRequest(Guid JobId, Uri Url, string? ExpectedSha256, string? Token = null, Uri? TokenAudience = null);

/// <summary>A complete, verified and fsynced file in the partial path, with what the servers said about it.</summary>
internal sealed record TransferResult(long SizeBytes, string Sha256, string? ETag, string? RepoCommit, string? LinkedEtag);

/// <summary>
/// Streams a URL into <c>.incomplete/&lt;job id&gt;.incomplete</c> in bounded memory, hashing as it writes. A dropped
/// connection (or a later attempt after a crash) resumes with <c>Range</c> + <c>If-Range</c>: the prefix on disk is hashed
/// again, a 206 whose <c>Content-Range</c> starts where the file ends is appended, anything else starts over. Sizes are
/// checked against the maximum and against what the server declared, before and while streaming; the hash against the
/// expected one after. A refusal deletes the partial file.
/// </summary>
internal sealed class HttpTransfer(HttpClient client, EgressPolicy policy, ArtifactStore store, DownloadsOptions options)
{
    private const int ChunkSize = 4 * 1024 * 1024;
    private const int MaxRedirects = 5;
    private static readonly TimeSpan PauseBeforeStoring = TimeSpan.FromMilliseconds(200);

    public async Task<TransferResult> RunAsync(TransferRequest request, Action<long, long?> progress, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(store.IncompletePath(request.JobId))!);
        TransferResult result;
        try
        {
            result = await TransferAsync(request, progress, ct);
        }
        catch (DownloadRefusedException)
        {
            store.Discard(request.JobId);
            throw;
        }

        var expected = request.ExpectedSha256?.ToLowerInvariant() ?? (IsSha256(result.LinkedEtag) ? result.LinkedEtag : null);
        if (expected is not null && expected != result.Sha256)
        {
            store.Discard(request.JobId);
            throw new DownloadRefusedException("sha256-mismatch", $"The downloaded file's SHA-256 is {result.Sha256}, not the expected {expected}.");
        }

        return result;
    }

    private async Task<TransferResult> TransferAsync(TransferRequest request, Action<long, long?> progress, CancellationToken ct)
    {
        using var file = File.OpenHandle(store.IncompletePath(request.JobId), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Memory<byte>[] chunks = [DirectWriter.Allocate(ChunkSize), DirectWriter.Allocate(ChunkSize)];
        var writer = new DirectWriter(file);
        var resume = ResumeState.Load(store.ResumePath(request.JobId), request.Url);
        long done = 0;
        var length = RandomAccess.GetLength(file);
        if (resume?.ETag is not null && length > 0 && (resume.Total is null || length <= resume.Total))
        {
            done = await RehashAsync(file, sha, chunks[0], ct);
        }
        else
        {
            RandomAccess.SetLength(file, 0);
        }

        var hub = new HubHeaders();
        var reconnects = 0;
        while (true)
        {
            var range = done > 0 && resume?.ETag is { } etag ? (From: done, ETag: etag) : default((long From, string ETag)?);
            var (response, url) = await SendAsync(request, range, hub, ct);
            using (response)
            {
                long? total;
                var contentRange = response.Content.Headers.ContentRange;
                if (response.StatusCode == HttpStatusCode.PartialContent
                    && range is { } asked
                    && contentRange is { Unit: "bytes", From: { } from, HasLength: true }
                    && from == asked.From)
                {
                    total = contentRange.Length;
                }
                else if ((response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable
                          || (response.StatusCode == HttpStatusCode.PartialContent && range is not null))
                         && reconnects++ < options.MaxReconnects)
                {
                    // Not the part that was asked for: start over without a range rather than stitch two representations.
                    RandomAccess.SetLength(file, 0);
                    sha.GetHashAndReset();
                    done = 0;
                    resume = null;
                    continue;
                }
                else if (response.StatusCode == HttpStatusCode.OK)
                {
                    if (done > 0)
                    {
                        RandomAccess.SetLength(file, 0);
                        sha.GetHashAndReset();
                        done = 0;
                    }

                    total = response.Content.Headers.ContentLength;
                }
                else
                {
                    throw DownloadHttp.Failure(response, url);
                }

                var expectedTotal = CheckDeclaredSize(total, hub.LinkedSize, url);
                var validator = StrongETag(response.Headers.ETag);
                resume = new ResumeState(request.Url.OriginalString, validator, expectedTotal);
                await resume.SaveAsync(store.ResumePath(request.JobId), ct);
                var written = new Written(done);
                try
                {
                    await CopyAsync(response, writer, sha, chunks, written, expectedTotal, progress, ct);
                    if (expectedTotal is { } declared && written.Bytes < declared)
                    {
                        throw new TransferInterruptedException($"The response ended after {written.Bytes} of {declared} bytes.", null);
                    }
                }
                catch (TransferInterruptedException) when (reconnects++ < options.MaxReconnects)
                {
                    continue;
                }
                finally
                {
                    done = written.Bytes;
                }

                RandomAccess.FlushToDisk(file);
                return new TransferResult(done, Convert.ToHexStringLower(sha.GetHashAndReset()), validator, hub.RepoCommit, hub.LinkedEtag);
            }
        }
    }

    /// <summary>Sends the GET, following up to five redirects, each hop checked by the policy and given the token only if it is the hub.</summary>
    private async Task<(HttpResponseMessage Response, Uri Url)> SendAsync(TransferRequest request, (long From, string ETag)? range, HubHeaders hub,
        CancellationToken ct)
    {
        var url = request.Url;
        for (var hop = 0; ; hop++)
        {
            policy.CheckUrl(url);
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            if (request.Token is { } token && request.TokenAudience is { } audience && SameOrigin(url, audience))
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (range is { } r)
            {
                message.Headers.Range = new RangeHeaderValue(r.From, null);
                message.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue(r.ETag));
            }

            var response = await DownloadHttp.SendAsync(client, message, ct);
            hub.Capture(response);
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308))
            {
                return (response, url);
            }

            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new DownloadRefusedException("bad-redirect", $"{url.Host} redirected without a Location.");
            }

            if (hop >= MaxRedirects)
            {
                throw new DownloadRefusedException("too-many-redirects", $"More than {MaxRedirects} redirects from {request.Url.Host}.");
            }

            url = location.IsAbsoluteUri ? location : new Uri(url, location);
        }
    }

    /// <summary>
    /// Appends the body to the file, hashing what was written; <paramref name="written"/> always counts exactly the bytes
    /// both on disk and in the hash, so an interruption can resume from there. Only a failure to read the network (or a
    /// silence longer than the idle timeout) is an interruption; a failure to write the disk is not. Two chunks take turns:
    /// while one is written and hashed, the next is read. A chunk is stored when it is full, when the body ends or fails,
    /// and, in parts, whenever the network pauses for a moment, so a slow server's bytes reach the disk and the progress.
    /// </summary>
    private async Task CopyAsync(HttpResponseMessage response, DirectWriter writer, IncrementalHash sha, Memory<byte>[] chunks, Written written,
        long? expectedTotal, Action<long, long?> progress, CancellationToken ct)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Stream body;
        try
        {
            body = await response.Content.ReadAsStreamAsync(ct);
        }
        catch (Exception ex) when (DownloadHttp.IsNetworkFailure(ex, ct))
        {
            throw new TransferInterruptedException(DownloadHttp.Unreachable, ex);
        }

        await using var _ = body;
        var limit = Math.Min(options.MaxSizeBytes, expectedTotal ?? long.MaxValue);
        var offset = written.Bytes;
        var storing = Task.CompletedTask;
        async Task StoreAfterAsync(ReadOnlyMemory<byte> part, long at)
        {
            await storing;
            storing = StoreAsync(writer, sha, part, at, written, expectedTotal, progress);
        }

        try
        {
            for (var turn = 0; ; turn ^= 1)
            {
                // Chunks end on block boundaries, so they can be written direct; one byte more than the limit allows is
                // enough to tell a body that is too long.
                var whole = ChunkSize - (int)(offset % DirectWriter.Alignment);
                var chunk = chunks[turn][..(limit - offset < whole ? (int)(limit - offset) + 1 : whole)];
                var (filled, stored) = (0, 0);
                Exception? failure = null;
                while (filled < chunk.Length)
                {
                    idle.CancelAfter(options.IdleTimeout);
                    var reading = body.ReadAsync(chunk[filled..], idle.Token);
                    if (filled > stored && !reading.IsCompleted)
                    {
                        var pending = reading.AsTask();
                        if (!await CompletesWithinAsync(pending, PauseBeforeStoring))
                        {
                            await StoreAfterAsync(chunk[stored..filled], offset + stored);
                            stored = filled;
                        }

                        reading = new ValueTask<int>(pending);
                    }

                    int read;
                    try
                    {
                        read = await reading;
                    }
                    catch (Exception ex) when (DownloadHttp.IsNetworkFailure(ex, ct))
                    {
                        failure = ex;
                        break;
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                    if (offset + filled > limit)
                    {
                        throw offset + filled > options.MaxSizeBytes
                            ? TooLarge(offset + filled)
                            : new DownloadRefusedException("length-mismatch", $"The server sent more than the {expectedTotal} bytes it declared.");
                    }
                }

                await StoreAfterAsync(chunk[stored..filled], offset + stored);
                offset += filled;
                if (failure is not null)
                {
                    throw new TransferInterruptedException(DownloadHttp.Unreachable, failure);
                }

                if (filled < chunk.Length)
                {
                    return;
                }
            }
        }
        finally
        {
            await storing;
        }
    }

    /// <summary>Whether <paramref name="task"/> completes within <paramref name="time"/>; how it completes is its awaiter's business.</summary>
    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan time)
    {
        await task.WaitAsync(time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return task.IsCompleted;
    }

    /// <summary>Writes and hashes one chunk side by side.</summary>
    private static async Task StoreAsync(DirectWriter writer, IncrementalHash sha, ReadOnlyMemory<byte> chunk, long offset, Written written,
        long? expectedTotal, Action<long, long?> progress)
    {
        if (chunk.IsEmpty)
        {
            return;
        }

        await Task.WhenAll(Task.Run(() => sha.AppendData(chunk.Span)), Task.Run(() => writer.Write(chunk.Span, offset)));
        written.Bytes = offset + chunk.Length;
        progress(written.Bytes, expectedTotal);
    }

    private long? CheckDeclaredSize(long? total, long? linkedSize, Uri url)
    {
        if (total is { } t && t > options.MaxSizeBytes)
        {
            throw TooLarge(t);
        }

        if (linkedSize is { } linked && linked > options.MaxSizeBytes)
        {
            throw TooLarge(linked);
        }

        if (total is not null && linkedSize is not null && total != linkedSize)
        {
            throw new DownloadRefusedException("length-mismatch", $"{url.Host} declared {total} bytes, the hub {linkedSize}.");
        }

        return total ?? linkedSize;
    }

    private DownloadRefusedException TooLarge(long size) =>
        new("too-large", $"The file is larger than the maximum of {options.MaxSizeBytes} bytes (Registry:Downloads:MaxSizeBytes): at least {size}.");

    private static async Task<long> RehashAsync(SafeFileHandle file, IncrementalHash sha, Memory<byte> buffer, CancellationToken ct)
    {
        long done = 0;
        int read;
        while ((read = await RandomAccess.ReadAsync(file, buffer, done, ct)) > 0)
        {
            sha.AppendData(buffer.Span[..read]);
            done += read;
        }

        return done;
    }

    private static bool SameOrigin(Uri url, Uri audience) =>
        url.Scheme == audience.Scheme && string.Equals(url.IdnHost, audience.IdnHost, StringComparison.OrdinalIgnoreCase) && url.Port == audience.Port;

    private static string? StrongETag(EntityTagHeaderValue? etag) => etag is { IsWeak: false } ? etag.Tag : null;

    private static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);

    /// <summary>Bytes on disk and in the hash, shared with the copy loop so an interruption leaves it exact.</summary>
    private sealed class Written(long bytes)
    {
        public long Bytes { get; set; } = bytes;
    }

    /// <summary>The connection dropped or went silent; resumable.</summary>
    private sealed class TransferInterruptedException(string message, Exception? inner) : IOException(message, inner);

    /// <summary>What the hub says about the file on the way (on the redirect, usually): the commit, the LFS hash and size.</summary>
    private sealed class HubHeaders
    {
        public string? RepoCommit { get; private set; }

        public string? LinkedEtag { get; private set; }

        public long? LinkedSize { get; private set; }

        public void Capture(HttpResponseMessage response)
        {
            RepoCommit ??= Header(response, "X-Repo-Commit");
            LinkedEtag ??= Header(response, "X-Linked-Etag")?.Replace("W/", "", StringComparison.Ordinal).Trim('"').ToLowerInvariant();
            LinkedSize ??= long.TryParse(Header(response, "X-Linked-Size"), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;
        }

        private static string? Header(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
    }

    /// <summary>Beside the partial file: the validator its bytes came with, so a resume asks only for the same representation.</summary>
    private sealed record ResumeState(string Url, string? ETag, long? Total)
    {
        public static ResumeState? Load(string path, Uri url)
        {
            try
            {
                var state = JsonSerializer.Deserialize<ResumeState>(File.ReadAllBytes(path));
                return state?.Url == url.OriginalString ? state : null;
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        public async Task SaveAsync(string path, CancellationToken ct) =>
            await File.WriteAllBytesAsync(path, JsonSerializer.SerializeToUtf8Bytes(this), ct);
    }
}

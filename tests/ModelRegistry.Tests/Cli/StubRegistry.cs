using System.Net;
using System.Text;

namespace ModelRegistry.Tests.Cli;

/// <summary>A registry that answers from a function, and remembers every request it was sent.</summary>
internal sealed class StubRegistry(Func<HttpRequestMessage, int, HttpResponseMessage> answer) : HttpMessageHandler
{
    private int _count;

    public List<HttpRequestMessage> Requests { get; } = [];

    public static HttpResponseMessage Respond(HttpStatusCode status, string body, string mediaType = "application/json") =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Requests)
        {
            Requests.Add(request);
        }

        return Task.FromResult(answer(request, Interlocked.Increment(ref _count)));
    }
}

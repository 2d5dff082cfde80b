import type { ServerResponse } from 'node:http';
import {
  type RootHttpRouterConfigureContext,
  rootHttpRouterServiceFactory,
} from '@backstage/backend-defaults/rootHttpRouter';

/**
 * The event bus's long poll: plugin-events-backend answers it with a 202 and its headers at
 * once, then holds the body until an event for the subscription arrives or
 * `events.notifyTimeoutMs` (55 s by default) has passed.
 */
const EVENT_BUS_POLL = /^\/api\/events\/bus\/v1\/subscriptions\/[^/]+\/events$/;

/**
 * Ends the event bus's waiting long polls when the backend shuts down, so that its HTTP server
 * closes at once instead of holding the process until the polls time out.
 *
 * Every plugin with an events subscription (here the catalog's GitLab provider and the GitLab
 * events router) polls the events backend over HTTP, in this same process, and a poll is always
 * waiting. At shutdown, Backstage's server (backend-defaults 0.18.0, createHttpServer's stop)
 * closes the idle connections and then waits for the rest, except with NODE_ENV=development,
 * where it drops every connection, in-flight requests with them. So outside development a
 * SIGTERM left the backend running for up to 55 s: past Kubernetes' default grace period of
 * 30 s, then SIGKILL. Ending a waiting 202 is what the events backend itself does when no event
 * came: the poller reads the empty body and polls again (a shutting-down poller does not, one in
 * another replica reaches a running one). Every other request still finishes as Backstage's own
 * stop lets it.
 */
function endEventBusPollsAtShutdown(
  context: Pick<RootHttpRouterConfigureContext, 'app' | 'server' | 'lifecycle'>,
): void {
  const polls = new Set<ServerResponse>();
  const release = (res: ServerResponse): void => {
    if (!res.headersSent || res.statusCode !== 202 || res.writableEnded) return;
    // The connection is idle once the response is written: closed like the others.
    res.once('finish', () => setImmediate(() => context.server.closeIdleConnections()));
    res.end();
  };
  context.app.use((req, res, next) => {
    if (req.method === 'GET' && EVENT_BUS_POLL.test(req.path)) {
      polls.add(res);
      res.once('close', () => polls.delete(res));
    }
    next();
  });
  context.lifecycle.addShutdownHook(async () => {
    // A poll that has not answered yet (it is reading its subscription) answers within
    // milliseconds: a 200 with events ends by itself, a 202 is ended at the next turn.
    while (polls.size > 0) {
      polls.forEach(release);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
}

/** Backstage's root HTTP router, its defaults applied, with the event bus's polls ended at shutdown. */
export const rootHttpRouter = rootHttpRouterServiceFactory({
  configure(context) {
    endEventBusPollsAtShutdown(context);
    context.applyDefaults();
  },
});

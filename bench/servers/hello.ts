// The floor: a Koa app that answers "hello" to everything. What the machine, Node and the load
// generator can do at best; neither linkid nor oidc-provider can be faster than this.
import http from 'node:http';
import Koa from 'koa';

const app = new Koa();
app.use((ctx) => {
  ctx.body = 'hello';
});
http.createServer(app.callback()).listen(Number(process.env.PORT), '127.0.0.1');

"""Kite Connect v3 REST routes of the simulator (aiohttp handlers).

Responses are ``{"status": "success", "data": ...}`` JSON (the instruments dump
is CSV), shaped as in the kite-mocks; errors are Kite's error bodies (see
:mod:`alphastock.sim.errors`). Every route but ``POST /session/token`` needs the
``X-Kite-Version: 3`` and ``Authorization: token api_key:access_token`` headers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from pydantic import ValidationError

from alphastock.brokers.charges import compute_charges
from alphastock.models.charges import ChargeOrder
from alphastock.sim.account import margin_parts, segment_of
from alphastock.sim.errors import KiteError, input_error, rate_error, token_error
from alphastock.sim.history import candles
from alphastock.sim.instruments import Instrument, instruments_csv
from alphastock.sim.state import Session, SimState

STATE: web.AppKey[SimState] = web.AppKey("sim_state", SimState)
SESSION: web.RequestKey[Session] = web.RequestKey("sim_session", Session)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOGIN_PAGE = ("GET", "/connect/login")
PUBLIC = {("POST", "/session/token"), LOGIN_PAGE}


def ok(data: Any) -> web.Response:
    """Kite's success envelope."""
    return web.Response(
        body=json.dumps({"status": "success", "data": data}).encode(), content_type="application/json"
    )


def fail(error: KiteError) -> web.Response:
    """Kite's error envelope with the error's HTTP status."""
    return web.Response(
        status=error.status, body=json.dumps(error.body()).encode(), content_type="application/json"
    )


def _category(method: str, path: str) -> str:
    if path.startswith("/quote"):
        return "quote"
    if path.startswith("/instruments/historical"):
        return "historical"
    if path.startswith("/orders/") and method in ("POST", "PUT", "DELETE"):
        return "orders"
    return "other"


def _fault_error(status: int) -> KiteError:
    """The Kite error body an injected HTTP ``status`` answers with."""
    if status == 429:
        return rate_error()
    if status == 403:
        return token_error()
    return KiteError("Simulated upstream failure (fault injection).", "NetworkException", status)


@web.middleware
async def kite_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Faults, authentication, session expiry and rate limits, then the route; KiteError -> error body."""
    state = request.app[STATE]
    if request.path == "/" and request.method == "GET":
        return await handler(request)
    try:
        if (request.method, request.path) != LOGIN_PAGE:
            delay, status = state.faults.rest_fault(request.method, request.path)
            if delay:
                await asyncio.sleep(delay)
            if status is not None:
                raise _fault_error(status)
        if (request.method, request.path) not in PUBLIC:
            if request.headers.get("X-Kite-Version") != "3":
                raise input_error("Missing or invalid `X-Kite-Version` header (expected 3).")
            session = state.authenticate(request.headers.get("Authorization", ""))
            state.limiter.check(session.api_key, _category(request.method, request.path))
            request[SESSION] = session
        return await handler(request)
    except KiteError as error:
        return fail(error)
    except web.HTTPException as exc:  # unknown route or method: Kite answers JSON, never text
        return fail(KiteError(exc.reason, "GeneralException", exc.status))


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    merged = {k: str(v) for k, v in request.query.items()}
    merged.update({k: str(v) for k, v in data.items()})
    return merged


# -- session and user -----------------------------------------------------------------------------
async def session_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    form = await _form(request)
    return ok(state.login(form.get("api_key", ""), form.get("request_token", ""), form.get("checksum", "")))


async def login_page(request: web.Request) -> web.Response:
    """``GET /connect/login?v=3&api_key=...``: Kite's login, already logged in. Issues a request_token
    and redirects to ``redirect_url`` with ``?request_token=...&action=login&status=success``, as
    Kite redirects to the app's registered URL (https://kite.trade/docs/connect/v3/user/#login-flow)."""
    state = request.app[STATE]
    api_key = request.query.get("api_key", "")
    if not api_key:
        raise input_error("Missing `api_key`.")
    if state.strict and api_key != state.config.api_key:
        raise token_error("Invalid `api_key`.")
    query = urlencode(
        {
            "action": "login",
            "type": "login",
            "status": "success",
            "request_token": state.issue_request_token(),
        }
    )
    url = state.config.redirect_url
    return web.Response(status=302, headers={"Location": f"{url}{'&' if '?' in url else '?'}{query}"})


async def session_delete(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.logout(request.query.get("access_token") or request[SESSION].access_token)
    return ok(True)


async def profile(request: web.Request) -> web.Response:
    return ok(request.app[STATE].profile())


async def margins(request: web.Request) -> web.Response:
    state = request.app[STATE]
    segment = request.match_info.get("segment")
    if segment is None:
        return ok({s: state.margins(s) for s in ("equity", "commodity")})
    if segment not in ("equity", "commodity"):
        raise input_error("Invalid segment.")
    return ok(state.margins(segment))


# -- market data ----------------------------------------------------------------------------------
async def instruments(request: web.Request) -> web.Response:
    state = request.app[STATE]
    exchange = request.match_info.get("exchange")
    if exchange is not None and exchange not in ("NSE", "NFO", "MCX", "BSE", "BFO", "CDS"):
        raise input_error("Invalid exchange.")
    return web.Response(text=instruments_csv(state.instruments, exchange), content_type="text/csv")


def _requested(request: web.Request) -> list[tuple[str, Instrument]]:
    state = request.app[STATE]
    keys = request.query.getall("i", [])
    if not keys:
        raise input_error("No instruments given (`i`).")
    if len(keys) > 1000:
        raise input_error("Too many instruments: at most 1000 per request.")
    found = []
    for key in keys:
        inst = state.by_key.get(key) or (state.by_token.get(int(key)) if key.isdigit() else None)
        if inst is not None:
            found.append((key, inst))
    return found


async def quote(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return ok({key: state.quote(inst, "full") for key, inst in _requested(request)})


async def quote_ohlc(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return ok({key: state.quote(inst, "ohlc") for key, inst in _requested(request)})


async def quote_ltp(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return ok({key: state.quote(inst, "ltp") for key, inst in _requested(request)})


async def historical(request: web.Request) -> web.Response:
    state = request.app[STATE]
    token = request.match_info["token"]
    inst = state.by_token.get(int(token)) if token.isdigit() else None
    if inst is None:
        raise input_error("Invalid `instrument_token`.")
    q = request.query
    if "from" not in q or "to" not in q:
        raise input_error("Missing `from` or `to`.")
    oi = q.get("oi") in ("1", "true")
    return ok(
        {"candles": candles(state.model, inst.index, request.match_info["interval"], q["from"], q["to"], oi)}
    )


# -- orders ---------------------------------------------------------------------------------------
async def place_order(request: web.Request) -> web.Response:
    state = request.app[STATE]
    form = await _form(request)
    if form.pop("autoslice", "").lower() in ("true", "1"):  # Kite's autoslice: a parent and children
        return ok(state.engine.place_autoslice(request.match_info["variety"], form))
    order = state.engine.place(request.match_info["variety"], form)
    return ok({"order_id": order.order_id})


async def modify_order(request: web.Request) -> web.Response:
    state = request.app[STATE]
    m = request.match_info
    order = state.engine.modify(m["variety"], m["order_id"], await _form(request))
    return ok({"order_id": order.order_id})


async def cancel_order(request: web.Request) -> web.Response:
    state = request.app[STATE]
    m = request.match_info
    order = state.engine.cancel(m["variety"], m["order_id"])
    return ok({"order_id": order.order_id})


async def orders(request: web.Request) -> web.Response:
    return ok([o.to_kite() for o in request.app[STATE].engine.orders.values()])


def _order(request: web.Request) -> Any:
    order = request.app[STATE].engine.orders.get(request.match_info["order_id"])
    if order is None:
        raise input_error("Couldn't find that `order_id`.")
    return order


async def order_history(request: web.Request) -> web.Response:
    return ok(_order(request).history)


async def order_trades(request: web.Request) -> web.Response:
    order = _order(request)
    return ok([t.to_kite() for t in request.app[STATE].account.trades if t.order_id == order.order_id])


async def trades(request: web.Request) -> web.Response:
    return ok([t.to_kite() for t in request.app[STATE].account.trades])


# -- GTT (https://kite.trade/docs/connect/v3/gtt/; rules in alphastock.sim.gtt) -------------------------
async def gtt_place(request: web.Request) -> web.Response:
    state = request.app[STATE]
    gtt = state.gtt.place(await _form(request))
    return ok({"trigger_id": gtt.trigger_id})


async def gtt_modify(request: web.Request) -> web.Response:
    state = request.app[STATE]
    gtt = state.gtt.modify(request.match_info["trigger_id"], await _form(request))
    return ok({"trigger_id": gtt.trigger_id})


async def gtt_delete(request: web.Request) -> web.Response:
    state = request.app[STATE]
    gtt = state.gtt.delete(request.match_info["trigger_id"])
    return ok({"trigger_id": gtt.trigger_id})


async def gtt_list(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return ok([g.to_kite(state.config.user_id) for g in state.gtt.listing()])


async def gtt_info(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return ok(state.gtt.get(request.match_info["trigger_id"]).to_kite(state.config.user_id))


# -- portfolio and margins ------------------------------------------------------------------------
async def positions(request: web.Request) -> web.Response:
    state = request.app[STATE]
    net = [
        p.to_kite(float(state.model.ltp[p.instrument.index]), float(state.model.close[p.instrument.index]))
        for p in state.account.positions.values()
    ]
    return ok({"net": net, "day": [dict(row) for row in net]})


async def holdings(request: web.Request) -> web.Response:
    return ok(request.app[STATE].holdings())


async def order_margins(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        body = await request.json()
    except ValueError:
        raise input_error("Invalid JSON body.") from None
    if not isinstance(body, list):
        raise input_error("Expected a JSON list of orders.")
    out = []
    for item in body:
        inst = state.by_key.get(f"{item.get('exchange')}:{item.get('tradingsymbol')}")
        if inst is None or inst.is_index:
            raise input_error("Invalid `tradingsymbol`.")
        qty = int(item.get("quantity", 0))
        side = str(item.get("transaction_type", "BUY"))
        product = str(item.get("product", "MIS"))
        price = float(item.get("price") or 0) or float(state.model.ltp[inst.index])
        qty = state.account.exposure_quantity(inst, product, side, qty)
        parts = margin_parts(inst, product, side, qty, price, state.model.futures_price(inst))
        total = sum(parts.values())
        out.append({
            "type": segment_of(inst), "tradingsymbol": inst.tradingsymbol, "exchange": inst.exchange,
            "span": round(parts["span"], 2), "exposure": round(parts["exposure"], 2),
            "option_premium": round(parts["option_premium"], 2), "additional": 0, "bo": 0, "cash": 0,
            "var": round(parts["var"], 2), "pnl": {"realised": 0, "unrealised": 0},
            "leverage": 5 if product == "MIS" and inst.instrument_type == "EQ" else 1,
            "charges": state.zero_charges(), "total": round(total, 2),
        })  # fmt: skip
    return ok(out)


async def contract_note(request: web.Request) -> web.Response:
    """Kite's virtual contract note: each executed order's charges, by :mod:`alphastock.brokers.charges`.

    The PaperBroker prices its fills with the same module and default rates, so
    paper and simulator charges agree by construction.
    """
    state = request.app[STATE]
    try:
        body = json.loads(await request.text())
    except ValueError:
        raise input_error("Invalid JSON body.") from None
    if not isinstance(body, list):
        raise input_error("Expected a JSON list of orders.")
    notes = []
    for item in body:
        if not isinstance(item, dict):
            raise input_error("Each order must be a JSON object.")
        inst = state.by_key.get(f"{item.get('exchange')}:{item.get('tradingsymbol')}")
        if inst is None or inst.is_index:
            raise input_error("Invalid `tradingsymbol`.")
        try:
            # Kite prices turnover in rupees: an MCX contract's multiplier comes from the instrument.
            order = ChargeOrder.from_kite(
                {**item, "instrument_type": inst.instrument_type, "multiplier": inst.multiplier}
            )
        except ValidationError as exc:
            raise input_error(f"Invalid order: {exc.errors(include_url=False)[0]['msg']}.") from None
        charges = compute_charges(order, state.config.charge_rates)
        notes.append({
            "transaction_type": order.transaction_type.value, "tradingsymbol": order.tradingsymbol,
            "exchange": order.exchange.value, "variety": order.variety.value, "product": order.product.value,
            "order_type": order.order_type.value, "quantity": order.quantity, "price": order.average_price,
            "charges": charges.model_dump(mode="json"),
        })  # fmt: skip
    return ok(notes)


def add_routes(app: web.Application) -> None:
    """Register every REST route on ``app``."""
    r = app.router
    r.add_get("/connect/login", login_page)
    r.add_post("/session/token", session_token)
    r.add_delete("/session/token", session_delete)
    r.add_get("/user/profile", profile)
    r.add_get("/user/margins", margins)
    r.add_get("/user/margins/{segment}", margins)
    r.add_get("/instruments", instruments)
    r.add_get("/instruments/historical/{token}/{interval}", historical)
    r.add_get("/instruments/{exchange}", instruments)
    r.add_get("/quote", quote)
    r.add_get("/quote/ohlc", quote_ohlc)
    r.add_get("/quote/ltp", quote_ltp)
    r.add_get("/orders", orders)
    r.add_post("/orders/{variety}", place_order)
    r.add_put("/orders/{variety}/{order_id}", modify_order)
    r.add_delete("/orders/{variety}/{order_id}", cancel_order)
    r.add_get("/orders/{order_id}", order_history)
    r.add_get("/orders/{order_id}/trades", order_trades)
    r.add_get("/trades", trades)
    r.add_get("/gtt/triggers", gtt_list)
    r.add_post("/gtt/triggers", gtt_place)
    r.add_get("/gtt/triggers/{trigger_id}", gtt_info)
    r.add_put("/gtt/triggers/{trigger_id}", gtt_modify)
    r.add_delete("/gtt/triggers/{trigger_id}", gtt_delete)
    r.add_get("/portfolio/positions", positions)
    r.add_get("/portfolio/holdings", holdings)
    r.add_post("/margins/orders", order_margins)
    r.add_post("/charges/orders", contract_note)


__all__ = ["STATE", "add_routes", "fail", "kite_middleware", "ok"]

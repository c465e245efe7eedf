"""A real SOAP client against flowgate: zeep reads the generated WSDL and calls
every operation of examples/soap-warehouse over SOAP 1.1 and 1.2.

Run by tests/interop.rs with the server's base URL:

    python tests/interop/soap_client.py http://127.0.0.1:PORT

Exits non-zero (with the assertion that failed) when anything is not as the
WSDL promised.
"""

import sys

import requests
import zeep
from lxml import etree
from zeep import xsd
from zeep.exceptions import Fault

BASE = sys.argv[1].rstrip("/")


def client(binding, token=None):
    session = requests.Session()
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    transport = zeep.Transport(session=session, timeout=10, operation_timeout=10)
    wsdl = zeep.Client(f"{BASE}/ws/soap?wsdl", transport=transport,
                       settings=zeep.Settings(strict=True))
    return wsdl, wsdl.bind("flowgate", binding)


def check_stock(service):
    # zeep unwraps a wrapper holding one element: the items come back.
    items = service.getStock(StockQuery={"Sku": ["GEAR-12", "NOPE-1"]})
    items = [(item.Sku, item.Available, item.known) for item in items]
    assert items == [("GEAR-12", 140, True), ("NOPE-1", 0, False)], items


def check_pick(service):
    carrier = etree.Element("{urn:example:partner}Carrier")
    carrier.text = "DHL"
    # A nil note (xsi:nil="true"), a priority left to its default, and a
    # list of zones (xs:list: zeep writes a Python list; xs:NMTOKENS comes
    # back as its text), and an attribute and an element of the partner's
    # own namespace (xs:anyAttribute and xs:any: zeep takes them as
    # `_attr_1` and `_value_1`).
    tickets = service.createPickOrder(PickOrderList={"PickOrder": [
        {"Id": "P-1", "priority": "rush",
         "Line": [{"Sku": "GEAR-12", "Qty": 4, "Note": xsd.Nil}, {"Sku": "AXLE-3", "Qty": 2}],
         "Zones": ["north", "dock-2"], "_attr_1": {"{urn:example:partner}source": "edi"},
         "_value_1": [carrier]},
        {"Id": "P-2", "Line": [{"Sku": "BOLT-M6", "Qty": 100}]},
    ]})
    got = [(t.Order, t.Lines, t.Units, t.Priority, t.Zones, t.Source, t.Carrier) for t in tickets]
    assert got == [
        ("P-1", 2, 6, "rush", "north dock-2", "edi", "DHL"),
        ("P-2", 1, 100, "normal", None, None, None),
    ], got


def check_ping(service):
    # An empty <StockLevel/>: nothing inside, and no fault.
    level = service.getPing()
    assert not level, level


def check_fault(wsdl, service):
    lines = [{"Sku": "GEAR-12", "Qty": 1}] * 21
    try:
        service.createPickOrder(PickOrderList={"PickOrder": [{"Id": "BIG-1", "Line": lines}]})
    except Fault as fault:
        assert "order BIG-1 has 21 lines" in fault.message, fault.message
        assert fault.code.endswith(("Client", "Sender")), fault.code
        problem = wsdl.get_element("{urn:ietf:rfc:7807}problem").parse(
            fault.detail[0], wsdl.wsdl.types)
        assert problem.status == 422, problem
        assert problem.type == "urn:flowgate:problem:process-exception", problem
        assert problem.execution_id, problem
    else:
        raise AssertionError("a 21-line order was accepted")


def check_shipment(token):
    shipment = {"Order": "P-1", "Tracking": "1Z999", "ShippedAt": "2026-11-28T10:00:00Z"}
    wsdl, service = client("flowgateSoap", token=token)
    assert service.executeShipment(Shipment=shipment) is None
    # Without the carrier's token the operation is not in the caller's WSDL.
    anonymous, _ = client("flowgateSoap")
    operations = anonymous.wsdl.bindings[
        "{urn:example:warehouse:ws}flowgateSoap"].all()
    assert "executeShipment" not in operations, list(operations)
    assert "executeShipment" in wsdl.wsdl.bindings[
        "{urn:example:warehouse:ws}flowgateSoap"].all()


def main():
    for binding in ("flowgateSoap", "flowgateSoap12"):
        wsdl, service = client(binding)
        check_stock(service)
        check_pick(service)
        check_ping(service)
        check_fault(wsdl, service)
        print(f"{binding}: getStock, createPickOrder, getPing and a fault: ok")
    check_shipment("carrier-demo-token")
    print("executeShipment (one way, with a token): ok")


if __name__ == "__main__":
    main()

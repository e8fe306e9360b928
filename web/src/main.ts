// Entry point: the server serves index.html for `/` and `/room/ID`; route on the path.

import './style.css';
import { mountLanding } from './landing';
import { mountRoom } from './room';
import { routeFor } from './route';

const root = document.getElementById('app');
if (root) {
  const route = routeFor(location.pathname, location.hash);
  if (route.page === 'room') mountRoom(root, route.room, route.token);
  else mountLanding(root);
}
